import type { Suite } from './context.js';
import { perMachine } from './context.js';

/** Per machine: TCP, protocol handshake, login; S7 negotiated PDU and CPU identity. */
export const connectivitySuite: Suite = {
  name: 'connectivity',
  title: 'Connectivity: TCP, protocol handshake, login',
  applies: () => true,
  run: (ctx) => perMachine(ctx, 'connectivity', (m, log, mut, o) => mut.connectivity(m, log, o)),
};

/** Per machine: every configured address exists and reads with its declared type. */
export const tagMapSuite: Suite = {
  name: 'tag-map',
  title: 'Tag map: every address exists and reads with its declared type',
  applies: () => true,
  run: (ctx) => perMachine(ctx, 'tag-map', (m, log, mut, o) => mut.tagMap(m, log, o)),
};

/** Per machine: the job handshake, read-only on a site unless --allow-writes, on a test mailbox / database / inbox. */
export const jobDryRunSuite: Suite = {
  name: 'job-dry-run',
  title: 'Job handshake dry run (never starts production)',
  applies: () => true,
  run: (ctx) => perMachine(ctx, 'job-dry-run', (m, log, mut, o) => mut.dryRun(m, log, o)),
};
