import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptanceReportSchema, caseMessage, reportSummary } from '@plant-twin/contracts';
import { defaultPlantFile, loadPlant, parseSite, readYaml, repoRoot } from '@plant-twin/plant-model';
import { toJUnit } from './report/junit.js';
import { runHil } from './run.js';
import { siteTarget, startSimTarget, type Target } from './target.js';

/**
 * The HIL smoke of `npm test`: the simulated plant started as `npm run hil -- --target sim` starts it,
 * the suites run against four machines (one of each kind, and a second S7 for the link-cut drill)
 * with a short latency window; the soak and the full drill set run via `npm run hil`.
 */
let target: Target;
const machines = ['PRS-01', 'IMM-01', 'CNC-01', 'LSR-01'];
beforeAll(async () => {
  target = await startSimTarget({ seed: 3, speed: 60, portOffset: 14000 });
}, 180_000);
afterAll(async () => {
  await target?.close();
});

describe('HIL against the simulated plant', () => {
  it('passes every suite on a healthy plant, and the report says what was tested on what', async () => {
    const lines: string[] = [];
    // the smoke proves the suites work; latency on a shared test machine is not a test's verdict (npm run hil measures it)
    const relaxed: Target = { ...target, hil: { machines: Object.fromEntries(machines.map((id) => [id, { latencyBudgetMs: 5000 }])) } };
    const report = await runHil({ target: relaxed, machines, latencyMs: 2000, operator: 'ci', progress: (l) => lines.push(l) });
    const failures = report.suites.flatMap((s) => s.cases.filter((c) => c.status === 'failed').map((c) => `${s.name}: ${caseMessage(c)}`));
    expect(failures).toEqual([]);
    const summary = reportSummary(report);
    expect(summary.passed).toBeGreaterThan(150);
    expect(acceptanceReportSchema.parse(report)).toEqual(report);
    expect(report.suites.map((s) => s.name)).toEqual(['connectivity', 'tag-map', 'job-dry-run', 'latency', 'soak', 'fault-drills']);
    // every configured S7 address read and typed, the DBs measured, the PDU negotiated, the drills recovered
    const tagMap = report.suites.find((s) => s.name === 'tag-map')!.cases;
    const prs = loadPlant().machines.find((m) => m.id === 'PRS-01')!;
    for (const t of prs.tags) expect(tagMap.find((c) => c.unit === 'PRS-01' && c.name === `tag ${t.name}`)?.status, t.name).toBe('passed');
    expect(tagMap.find((c) => c.unit === 'PRS-01' && c.name === 'DB10 length')?.figures).toMatchObject({ declared_bytes: 256, plc_bytes: 256 });
    const handshake = report.suites[0]!.cases.find((c) => c.unit === 'PRS-01' && c.name.startsWith('S7 handshake'))!;
    expect(handshake.figures.pdu_bytes).toBe(960);
    const drills = report.suites.find((s) => s.name === 'fault-drills')!.cases;
    expect(drills.map((c) => c.subject).sort()).toEqual(['PLC powered off', 'S7 link cut (user-space proxy)', 'SQL Server stopped', 'SQL link cut (user-space proxy)', 'share gone']);
    expect(drills.find((c) => c.subject === 'S7 link cut (user-space proxy)')!.figures.reason).toMatch(/connection closed by the PLC$/);
    const latency = report.suites.find((s) => s.name === 'latency')!.cases.find((c) => c.unit === 'PRS-01')!;
    expect(latency.figures.count as number).toBeGreaterThan(5);
    expect(latency.charts[0]?.kind).toBe('histogram');
    expect(report.trace.plantSha256).toMatch(/^[a-f0-9]{64}$/);
    expect(lines.some((l) => /tag-map\s+PRS-01\s+\d+ passed, 0 failed/.test(l))).toBe(true);
  }, 300_000);

  it('fails a tag map whose DB length and a tag offset are wrong, naming the machine, the DB, the tag and the fix', async () => {
    // the machines as built stay as they are; the model under test claims DB10 of PRS-01 has 300 bytes
    const dir = mkdtempSync(join(tmpdir(), 'hil-wrong-'));
    const plantFile = join(dir, 'plant.yaml');
    // and its slide_position at byte 280 of DB10, beyond the 256 bytes the PLC has (PRS-01 is the first machine)
    writeFileSync(plantFile, readFileSync(defaultPlantFile, 'utf8').replace("dbSizes: {'1': 128, '10': 256,", "dbSizes: {'1': 128, '10': 300,").replace('address: DB10,REAL8', 'address: DB10,REAL280'));
    const wrong: Target = { ...target, plant: loadPlant(plantFile, target.siteFile), plantFile };
    expect(wrong.plant.machines[0]!.interface).toMatchObject({ dbSizes: { '10': 300 } });
    const report = await runHil({ target: wrong, machines: ['PRS-01'], suites: ['tag-map'] });
    const bad = report.suites[0]!.cases.filter((c) => c.status === 'failed');
    expect(bad.map((c) => c.name)).toEqual(['DB10 length', 'tag slide_position']);
    expect(bad[1]).toMatchObject({ unit: 'PRS-01', subject: 'slide_position (DB10,REAL280)', expected: 'real readable at DB10,REAL280' });
    expect(bad[1]!.message).toMatch(/DB10 bytes 280\.\.283 is out of range/);
    expect(bad[1]!.fix).toMatch(/check the offsets in plant\.yaml against DB10/);
    const c = bad[0]!;
    expect(c).toMatchObject({ unit: 'PRS-01', subject: 'DB10', expected: expect.stringContaining('300 bytes'), seen: '256 bytes' });
    expect(c.fix).toMatch(/extend DB10 in the PLC program to 284 bytes or more, or correct the tag offsets and plant\.yaml machine PRS-01 interface\.dbSizes\['10'\]/);
    const xml = toJUnit(report);
    expect(xml).toMatch(/<testcase classname="tag-map\.PRS-01" name="DB10 length"[^>]*>\s*<failure message="PRS-01 DB10: DB10 is 256 bytes in the PLC, the plant model declares 300; expected 300 bytes \(plant\.yaml machine PRS-01 interface\.dbSizes\[&apos;10&apos;\]\); seen 256 bytes; fix: extend DB10 /);
  }, 120_000);
});

describe('HIL site target', () => {
  it('validates the IPC127E example site file by the schema, and refuses to run while it has placeholders', () => {
    const file = join(repoRoot, 'plant/sites/site.yaml');
    const site = parseSite(readYaml(file), file);
    expect(site.kubernetes?.storage.kind).toBe('longhorn');
    expect(Object.keys(site.hil?.machines ?? {})).toContain('PRS-01');
    expect(() => siteTarget(file)).toThrow(/still has placeholders: REPLACE-ME-prs01-plc/);
    // filled in, it names the machines' addresses, the test places of the dry run and the edge nodes
    const filled = join(mkdtempSync(join(tmpdir(), 'hil-site-')), 'site.yaml');
    writeFileSync(filled, readFileSync(file, 'utf8').replace(/REPLACE-ME-(\w+)-(plc|sql)/g, '$1.plant.example').replace(/REPLACE-ME/gi, 'nas.plant.example'));
    const t = siteTarget(filled);
    expect(t).toMatchObject({ simulated: false, name: 'example-plant', edgeNodes: ['10.10.0.11', '10.10.0.12', '10.10.0.13'] });
    expect(t.plant.machines.find((m) => m.id === 'PRS-01')!.interface).toMatchObject({ host: 'prs01.plant.example', port: 102 });
    expect(t.hil.machines['CNC-01']).toEqual({ testDatabase: 'CELL_CNC01_TEST' });
  });
});
