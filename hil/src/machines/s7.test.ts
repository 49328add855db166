import { afterEach, describe, expect, it } from 'vitest';
import { loadPlant, type Machine } from '@plant-twin/plant-model';
import { HostilePlc, ackData, dataFrame } from '@plant-twin/s7-driver/testing';
import { CaseLog } from '../cases.js';
import { s7Machine } from './s7.js';

/**
 * The tag map suite's words for the two factory settings of an S7-1200/1500 that users of today's
 * tools get a bare error for: a DB with optimized block access (item "access not allowed") and
 * PUT/GET off (the whole request refused, 0x8104). A test PLC answers every read so.
 */
const prs = loadPlant().machines.find((m) => m.id === 'PRS-01')!;
let plc: HostilePlc | undefined;
afterEach(async () => {
  await plc?.close();
});

async function tagMapAgainst(answer: ConstructorParameters<typeof HostilePlc>[0]) {
  plc = await new HostilePlc(answer).listen();
  const machine: Machine = { ...prs, interface: { ...prs.interface, host: '127.0.0.1', port: plc.port } as Machine['interface'] };
  const log = new CaseLog(machine.id);
  await s7Machine.tagMap(machine, log, { simulated: false, allowWrites: false, env: {} });
  return log.cases;
}

const itemCount = (req: Buffer) => req.readUInt8(11);

describe('S7 tag map diagnostics', () => {
  it('names optimized block access and PUT/GET when the PLC refuses the items', async () => {
    const cases = await tagMapAgainst((req, ref) => dataFrame(ackData(ref, Buffer.from([0x04, itemCount(req)]), Buffer.concat(Array.from({ length: itemCount(req) }, () => Buffer.from([0x03, 0x00, 0x00, 0x00]))))));
    const db10 = cases.find((c) => c.name === 'DB10 length')!;
    expect(db10).toMatchObject({ status: 'failed', unit: 'PRS-01', subject: 'DB10' });
    expect(db10.fix).toMatch(/clear 'Optimized block access'.*PUT\/GET/);
    const tonnage = cases.find((c) => c.name === 'tag tonnage')!;
    expect(tonnage.status).toBe('failed');
    expect(tonnage.message).toMatch(/DB10 is not accessible/);
    expect(tonnage.fix).toMatch(/DB10 > Properties > Attributes/);
    expect(cases.filter((c) => c.status === 'passed').map((c) => c.name)).toEqual([expect.stringMatching(/request PDU/)]);
  });

  it('names PUT/GET when the CPU refuses the service', async () => {
    const cases = await tagMapAgainst((_req, ref) => dataFrame(ackData(ref, Buffer.from([0x04, 0x00]), Buffer.alloc(0), 0x81, 0x04)));
    const failedCases = cases.filter((c) => c.status === 'failed');
    expect(failedCases.length).toBeGreaterThan(prs.tags.length);
    for (const c of failedCases) expect(c.fix, c.name).toMatch(/Permit access with PUT\/GET communication from remote partner/);
  });
});
