import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { defaultPlantFile, loadPlant, localSiteFile, parsePlant, PlantModelError, applySite, parseSite } from './index.js';
import { readYaml } from './load.js';

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

  it('names the file, line and column of a YAML syntax error; dates stay strings (YAML 1.2 core schema)', () => {
    expect(() => readYaml('plant/broken.yaml', 'version: 1\nmachines:\n  - id: PRS-01\n   area: press\n')).toThrow(/^plant\/broken\.yaml: 1 problem\n  plant\/broken\.yaml: YAML: .* at line 4, column 4/);
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
