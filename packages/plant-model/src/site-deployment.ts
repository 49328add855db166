import * as z from 'zod';

/**
 * The parts of a site file beyond machine addresses: how the edge cluster is deployed on the plant's
 * nodes (`kubernetes`, read by the manifest renderer for the `site` overlay) and what the HIL
 * suites may touch on the real machines (`hil`). Both are optional: the simulated sites need neither.
 */
const hostname = z.string().min(1).max(253);
const absolutePath = z.string().regex(/^\/[^\0]*$/, 'must be an absolute path');
const cidr = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'must be an IPv4 CIDR such as 10.10.0.11/32');

/** Volumes that survive the loss of a node: k3s's default local-path pins each volume to its node. */
export const siteStorageSchema = z.discriminatedUnion('kind', [
  /** Longhorn replicates every volume across nodes (two IPC127E: two replicas) */
  z.strictObject({ kind: z.literal('longhorn'), replicas: z.number().int().min(2).max(3).default(2) }),
  /** an export of the plant's NAS, provisioned per claim by csi-driver-nfs */
  z.strictObject({ kind: z.literal('nfs'), server: hostname, path: absolutePath }),
]);

/** The file machines' network share, mounted read-write by their pods at /shares. */
export const siteSharesSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('nfs'), server: hostname, path: absolutePath }),
  /** an SMB/CIFS share (csi-driver-smb); its credentials in the Secret named here (username, password) */
  z.strictObject({ kind: z.literal('smb'), source: z.string().regex(/^\/\/[^/]+\/.+/, 'must look like //server/share'), secret: z.string().min(1).max(253) }),
]);

/** The `site` overlay needs every field; a simulated cluster (k3d) only storage and shares. */
export const siteKubernetesSchema = z.strictObject({
  storage: siteStorageSchema,
  shares: siteSharesSchema,
  /** the image every program runs, pinned by digest (a tag can move) */
  image: z.string().regex(/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+@sha256:[a-f0-9]{64}$/, 'must be <registry>/<name>@sha256:<64 hex digits>').optional(),
  /** docker-registry Secret for the private registry */
  imagePullSecret: z.string().min(1).max(253).optional(),
  /** addresses of the k3s API servers (the machine pods' Lease fencing talks to them) */
  apiServers: z.array(cidr).min(1).optional(),
  /** the ERP's address, the only place outside the cluster the job manager may reach */
  erp: cidr.optional(),
  /** the cloud's address, the only place outside the cluster the publisher may reach */
  cloud: cidr.optional(),
});
export type SiteKubernetes = z.output<typeof siteKubernetesSchema>;

/** Where a job handshake dry run may write on a real machine: places that never start production. */
export const siteHilMachineSchema = z.strictObject({
  /** S7: a second mailbox DB that the PLC program answers but never runs */
  testMailboxDb: z.number().int().min(1).max(65535).optional(),
  /** SQL: a database on the same server with the vendor tables, which the cell controller does not execute */
  testDatabase: z.string().min(1).max(128).optional(),
  /** files: a folder on the share that the machine does not read */
  testInbox: z.string().min(1).optional(),
  /** latency budget of one poll of this machine (p99), ms */
  latencyBudgetMs: z.number().positive().optional(),
});
export const siteHilSchema = z.strictObject({
  machines: z.record(z.string(), siteHilMachineSchema).default({}),
});
export type SiteHil = z.output<typeof siteHilSchema>;
