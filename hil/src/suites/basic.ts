import { CaseLog } from '../cases.js';
import { tcpCheck } from '../machines/tcp.js';
import type { Suite } from './context.js';
import { perMachine } from './context.js';

/** Per machine: TCP, protocol handshake, login; S7 negotiated PDU and CPU identity. */
export const connectivitySuite: Suite = {
  name: 'connectivity',
  title: 'Connectivity: TCP, protocol handshake, login',
  applies: () => true,
  async run(ctx) {
    const cases = await perMachine(ctx, 'connectivity', (m, log, mut, o) => mut.connectivity(m, log, o));
    // the edge nodes (k3s API servers of the site file), as the machine pods' Lease fencing needs them
    const cluster = new CaseLog('cluster');
    for (const node of ctx.target.edgeNodes) await cluster.check(`k3s API server ${node}:6443`, () => tcpCheck(node, 6443, 'the k3s API server'));
    if (cluster.cases.length) ctx.progress(`  connectivity cluster  ${cluster.cases.filter((c) => c.status === 'passed').length} of ${cluster.cases.length} API servers answer`);
    return [...cases, ...cluster.cases];
  },
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
