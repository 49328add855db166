/**
 * A new password an admin hands to a user (reset): 18 random bytes from the browser's CSPRNG as
 * base64url, 24 characters, well above the cloud's 10-character minimum.
 */
export function generatePassword(random: (a: Uint8Array) => Uint8Array = (a) => crypto.getRandomValues(a)): string {
  const bytes = random(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_');
}

/** The link an andon screen opens with its device token (the route signs in and removes it from the URL). */
export function andonLink(origin: string, token: string): string {
  return `${origin}/andon?device=${encodeURIComponent(token)}`;
}
