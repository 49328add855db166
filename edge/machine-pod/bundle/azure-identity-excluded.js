// Stands in for @azure/identity in the machine pod bundle. tedious loads it eagerly for Azure AD
// logins, which cost a pod ~20 MB of memory; machines' SQL Servers are reached with SQL logins only
// (the plant model has no other authentication), so those code paths cannot be taken.
class AzureAdNotInPod {
  constructor() {
    throw new Error('Azure AD authentication is not built into the machine pod: machines use SQL logins (plant model interface.user + passwordEnv)');
  }
}
export const UsernamePasswordCredential = AzureAdNotInPod;
export const ManagedIdentityCredential = AzureAdNotInPod;
export const DefaultAzureCredential = AzureAdNotInPod;
export const ClientSecretCredential = AzureAdNotInPod;
