import type { SimulatedPlant } from './start.js';

/** The human-readable list of machines and where to reach them (CLI and logs). */
export function endpointTable(plant: SimulatedPlant): string {
  const rows = plant.machines.map((m) => {
    const itf = m.sim.model.interface;
    const extra = itf.type === 'sql' ? `db ${itf.database} user ${itf.user} password $${itf.passwordEnv}` : itf.type === 's7' ? `${itf.plc} rack ${itf.rack} slot ${itf.slot} mailbox DB${itf.mailboxDb}` : `${itf.format} out/${itf.outbox}${itf.inbox ? ` in/${itf.inbox}` : ''}`;
    return [m.id, m.kind, m.face.kind.toUpperCase(), m.face.endpoint, extra];
  });
  const head = ['machine', 'kind', 'face', 'endpoint', 'details'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
