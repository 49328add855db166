import type { S7Connection } from './connection.js';
import { describeError } from './errors.js';

/**
 * What the CPU says it is, from its system status lists: SZL 0x0011 (module identification: the
 * order number, e.g. 6ES7 515-2AM02-0AB0) and SZL 0x001C (component identification: module name,
 * type, serial number). Commissioning reports it, so a report names the exact hardware it ran on.
 * Where the CPU refuses a list (protection level, an S7-1200/1500 without full access) the
 * identity says why instead: reading it is informative, never a condition to talk to the PLC.
 */
export interface CpuIdentity {
  orderNumber?: string;
  moduleName?: string;
  moduleTypeName?: string;
  serialNumber?: string;
  systemName?: string;
  /** lists the CPU would not give, with the reason */
  unreadable: string[];
}

const text = (b: Buffer, from: number, to: number) => b.subarray(from, Math.min(to, b.length)).toString('latin1').replace(/\0+$/, '').trim() || undefined;

export async function readCpuIdentity(conn: S7Connection): Promise<CpuIdentity> {
  const id: CpuIdentity = { unreadable: [] };
  try {
    // records of 28 bytes: index, 20 characters order number, module type, versions; index 1 is the CPU module
    const list = await conn.readSzl(0x0011, 0);
    const cpu = list.records.find((r) => r.readUInt16BE(0) === 1) ?? list.records[0];
    if (cpu) id.orderNumber = text(cpu, 2, 22);
  } catch (e) {
    id.unreadable.push(`SZL 0x0011 (order number): ${describeError(e)}`);
  }
  try {
    // records of 34 bytes: index, 32 characters; 1 system name, 2 module name, 5 serial number, 7 module type name
    const list = await conn.readSzl(0x001c, 0);
    const field = (index: number) => {
      const r = list.records.find((x) => x.readUInt16BE(0) === index);
      return r ? text(r, 2, 34) : undefined;
    };
    Object.assign(id, {
      ...(field(1) ? { systemName: field(1) } : {}),
      ...(field(2) ? { moduleName: field(2) } : {}),
      ...(field(5) ? { serialNumber: field(5) } : {}),
      ...(field(7) ? { moduleTypeName: field(7) } : {}),
    });
  } catch (e) {
    id.unreadable.push(`SZL 0x001C (component identification): ${describeError(e)}`);
  }
  return id;
}
