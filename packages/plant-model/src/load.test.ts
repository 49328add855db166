import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { dump } from 'js-yaml';
import { cloudClockAlarmCode, defaultPlantFile, loadPlant, localSiteFile, parsePlant, PlantModelError, applySite, parseSite } from './index.js';
import { readYaml } from './load.js';

const checkJs = fileURLToPath(new URL('../dist/check.js', import.meta.url));
const run = promisify(execFile);
/** plant:check as a user runs it (the built program); its exit code and what it printed */
async function plantCheck(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    return { code: 0, ...(await run(process.execPath, [checkJs, ...args])) };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

/** The file: two schema errors hid a bad S7 address and a duplicate machine id. */
function fourDefects(): unknown {
  const data = raw();
  delete data.machines[2].name; // schema: required
  data.machines[4].parts[0].idealCycleS = -3; // schema: positive
  data.machines[3].tags[2].address = 'DB10,REAL3'; // S7 address: odd offset
  data.machines[1].id = 'PRS-01'; // duplicate id
  return data;
}
const fourProblems = [
  expect.stringMatching(/^machines\[2\]\.name: /),
  expect.stringMatching(/^machines\[4\]\.parts\[0\]\.idealCycleS: /),
  expect.stringMatching(/^machines\[3\]\.tags\[2\]\.address: .*even byte offset/),
  expect.stringMatching(/^machines\[1\]\.id: duplicate machine id PRS-01 \(also machines\[0\]\)/),
];

const raw = () => readYaml(defaultPlantFile) as any;

describe('plant model', () => {
  it('loads the eleven machines of the plant', () => {
    const plant = loadPlant();
    expect(plant.machines.map((m) => m.id)).toEqual(['PRS-01', 'PRS-02', 'IMM-01', 'IMM-02', 'WLD-01', 'CNC-01', 'CNC-02', 'PNT-01', 'LSR-01', 'CMM-01', 'EOL-01']);
    const s7 = plant.machines.filter((m) => m.interface.type === 's7');
    expect(s7).toHaveLength(5);
    for (const m of s7) {
      expect(m.tags.length).toBeGreaterThanOrEqual(20);
      expect(m.tags.length).toBeLessThanOrEqual(60);
      expect(new Set(m.tags.map((t) => t.address.split(',')[0])).size).toBeGreaterThanOrEqual(3);
    }
  });

  it('applies the local site file: addresses only, shares resolved against the site folder', () => {
    const plant = loadPlant(defaultPlantFile, localSiteFile);
    const prs = plant.machines.find((m) => m.id === 'PRS-01')!;
    expect(prs.interface).toMatchObject({ type: 's7', host: '127.0.0.1', port: 11102, mailboxDb: 100 });
    const lsr = plant.machines.find((m) => m.id === 'LSR-01')!;
    expect(lsr.interface.type === 'file' && lsr.interface.share.endsWith('/.run/shares/LSR-01')).toBe(true);
  });

  it('refuses an invalid file naming the file, each path and what is wrong, all at once', () => {
    const data = raw();
    data.machines[3].tags[2].address = 'DB10,REAL3';
    data.machines[0].area = 'nowhere';
    data.machines[5].tags[0].address = 'Nope.Column';
    data.machines[1].id = 'PRS-01';
    let err: PlantModelError | undefined;
    try {
      parsePlant(data, 'plant/bad.yaml');
    } catch (e) {
      err = e as PlantModelError;
    }
    expect(err).toBeInstanceOf(PlantModelError);
    expect(err!.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^machines\[3\]\.tags\[2\]\.address: .*even byte offset/),
        expect.stringMatching(/^machines\[0\]\.area: unknown area "nowhere"/),
        expect.stringMatching(/^machines\[5\]\.tags\[0\]\.address: .*<Table>\.<Column>/),
        expect.stringMatching(/^machines\[1\]\.id: duplicate machine id PRS-01/),
      ]),
    );
    expect(err!.message).toContain('plant/bad.yaml: machines[3].tags[2].address');
  });

  it('reports schema errors and the rules relating parts together, in one pass (issue 15 #9)', () => {
    const err = (() => {
      try {
        parsePlant(fourDefects(), 'plant/bad.yaml');
      } catch (e) {
        return e as PlantModelError;
      }
    })();
    expect(err).toBeInstanceOf(PlantModelError);
    expect(err!.problems).toEqual(expect.arrayContaining(fourProblems));
    expect(err!.problems).toHaveLength(4);
    expect(err!.message.split('\n')[0]).toBe('plant/bad.yaml: 4 problems');
  });

  it('checks what parsed of a broken machine, and guesses nothing about what did not', () => {
    const data = raw();
    data.machines[0].interface.plc = 'S7-300'; // the interface fails, yet parsed as S7: its address rules run
    data.machines[0].tags[1].address = 'DB1,INT99';
    data.machines[0].tags[0].role = 'stat'; // the state tag's role is invalid: "needs role state" would be a guess
    data.areas[0] = { name: 'no id' }; // with an area id unknown, "unknown area" would be a guess too
    data.machines[5].interface = 'nonsense';
    data.machines[6].tags = 'nonsense';
    data.machines.push(42);
    let err: PlantModelError | undefined;
    try {
      parsePlant(data, 'p.yaml');
    } catch (e) {
      err = e as PlantModelError;
    }
    expect(err!.problems.map((p) => p.slice(0, p.indexOf(': '))).sort()).toEqual(
      [
        'areas[0].id',
        'machines[0].interface.plc',
        'machines[0].tags[0].role',
        'machines[0].tags[1].address',
        'machines[5].interface',
        'machines[6].tags',
        'machines[11]',
      ].sort(),
    );
    expect(err!.problems).toContainEqual(expect.stringMatching(/^machines\[0\]\.tags\[1\]\.address: .*even byte offset/));
  });

  it('plant:check prints every problem of the file in one pass; a missing file is one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plant-check-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, dump(fourDefects()));
    const r = await plantCheck(bad);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(`${bad}: 4 problems`);
    expect(lines.slice(1).map((l) => l.trim().slice(bad.length + 2))).toEqual(expect.arrayContaining(fourProblems));

    const missing = join(dir, 'nowhere.yaml');
    expect(await plantCheck(missing)).toEqual({ code: 1, stdout: '', stderr: `${missing}: cannot read: no such file\n` });
    expect(await plantCheck(dir)).toEqual({ code: 1, stdout: '', stderr: `${dir}: cannot read: is a directory, not a file\n` });
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'version: 1\nmachines:\n  - id: PRS-01\n   area: press\n');
    expect((await plantCheck(broken)).stderr).toMatch(new RegExp(`^${broken}: YAML: .* at line 4, column 4\n$`));
    const ok = await plantCheck(defaultPlantFile, localSiteFile);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/11 machines valid\n$/);
  });

  it('plant:check refuses a machine alarm with the code the cloud reserves for its clock alarm', async () => {
    const data = raw();
    data.machines[0].alarms[0].code = cloudClockAlarmCode;
    const file = join(mkdtempSync(join(tmpdir(), 'plant-check-')), 'reserved.yaml');
    writeFileSync(file, dump(data));
    const r = await plantCheck(file);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`${file}: machines[0].alarms[0].code: alarm code 9001 is reserved for the cloud's clock alarm (messages quarantined): give this alarm another code\n`);
  });

  it('names the file, line and column of a YAML syntax error; dates stay strings (YAML 1.2 core schema)', () => {
    expect(() => readYaml('plant/broken.yaml', 'version: 1\nmachines:\n  - id: PRS-01\n   area: press\n')).toThrow(/^plant\/broken\.yaml: YAML: .* at line 4, column 4/);
    expect(readYaml('x.yaml', 'due: 2030-01-01\non: yes\nn: 0x10\n')).toEqual({ due: '2030-01-01', on: 'yes', n: 16 });
  });

  it('detects overlapping S7 tags and type/address mismatches', () => {
    const data = raw();
    const tags = data.machines[0].tags;
    tags[1].address = tags[0].address; // INT on INT
    tags[2].type = 'real'; // DINT address
    expect(() => parsePlant(data)).toThrow(/machines\[0\]\.tags\[1\]\.address: overlaps tags\[0\] \(DB1,INT0\)/);
    expect(() => parsePlant(data)).toThrow(/machines\[0\]\.tags\[2\]\.type: type real does not match address DB1,DINT4/);
  });

  it('a site file may change addresses and secret references, nothing else', () => {
    const plant = loadPlant();
    expect(() => parseSite({ version: 1, site: 'x', machines: { 'PRS-01': { tags: [] } } }, 'site.yaml')).toThrow(/machines\.PRS-01: Unrecognized key/);
    expect(() => applySite(plant, parseSite({ version: 1, site: 'x', machines: { 'PRS-01': { database: 'x' }, 'XXX-99': { host: 'h' } } }), 'site.yaml')).toThrow(
      /machines\.PRS-01\.database: not a setting of a s7 interface[\s\S]*machines\.XXX-99: no machine XXX-99/,
    );
  });
});
