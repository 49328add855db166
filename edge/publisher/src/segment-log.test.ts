import { appendFile, mkdtemp, readdir, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatchJournal } from './journal.js';
import { encodeRecord, SegmentLog } from './segment-log.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segment-log-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const payload = (i: number) => Buffer.from(JSON.stringify({ i, text: 'x'.repeat(i % 50) }));

async function fill(log: SegmentLog, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    log.append(payload(i), 1_700_000_000_000 + i);
    if (i % 37 === 0) await log.commit();
  }
  await log.commit();
}

describe('SegmentLog', () => {
  it('keeps records in order across segments and reopen, and reads any range', async () => {
    const { log } = await SegmentLog.open(dir, { segmentBytes: 4096 });
    await fill(log, 0, 1000);
    expect(log.segmentCount).toBeGreaterThan(5);
    await log.close();
    const { log: again, recovery } = await SegmentLog.open(dir, { segmentBytes: 4096 });
    expect(recovery).toMatchObject({ records: 1000, truncatedBytes: 0 });
    expect(again.committedIndex).toBe(1000);
    for (const [from, n] of [[0, 1000], [257, 300], [999, 5], [513, 1]] as const) {
      const recs = await again.read(from, n);
      expect(recs.map((r) => r.index)).toEqual([...Array(Math.min(n, 1000 - from)).keys()].map((k) => k + from));
      expect(recs.map((r) => r.payload.toString())).toEqual(recs.map((r) => payload(r.index).toString()));
      expect(recs.every((r) => r.receivedAt === 1_700_000_000_000 + r.index)).toBe(true);
    }
    // a byte budget stops a read early but always yields at least one record
    const budget = await again.read(0, 1000, 200);
    expect(budget.length).toBeGreaterThan(1);
    expect(budget.reduce((s, r) => s + r.payload.length, 0)).toBeLessThanOrEqual(200);
    expect((await again.read(0, 10, 1)).length).toBe(1);
    await again.close();
  });

  it('cuts a torn tail record by its CRC on reopen and goes on appending after the last good record', async () => {
    const { log } = await SegmentLog.open(dir, { segmentBytes: 1 << 20 });
    await fill(log, 0, 100);
    await log.close();
    const [seg] = await readdir(dir);
    const file = join(dir, seg!);
    const goodSize = (await stat(file)).size;
    // a record whose write was cut short (SIGKILL / power loss): header and half the payload
    const torn = encodeRecord(Buffer.from('{"torn":"record that never finished"}'), 1);
    await appendFile(file, torn.subarray(0, torn.length - 10));
    const { log: again, recovery } = await SegmentLog.open(dir, { segmentBytes: 1 << 20 });
    expect(recovery.truncatedBytes).toBe(torn.length - 10);
    expect(recovery.records).toBe(100);
    expect((await stat(file)).size).toBe(goodSize);
    again.append(Buffer.from('after'), 2);
    await again.commit();
    const all = await again.read(0, 1000);
    expect(all).toHaveLength(101);
    expect(all.slice(0, 100).map((r) => r.payload.toString())).toEqual([...Array(100).keys()].map((i) => payload(i).toString()));
    expect(all[100]!.payload.toString()).toBe('after');
    await again.close();
  });

  it('cuts a whole-length record with a wrong CRC (garbage tail) and a tail shorter than a header', async () => {
    const { log } = await SegmentLog.open(dir, { segmentBytes: 1 << 20 });
    await fill(log, 0, 10);
    await log.close();
    const [seg] = await readdir(dir);
    const file = join(dir, seg!);
    const bad = encodeRecord(Buffer.from('{"flipped":true}'), 3);
    bad[bad.length - 1]! ^= 0xff;
    await appendFile(file, Buffer.concat([bad, Buffer.from([1, 2, 3])]));
    const { log: again, recovery } = await SegmentLog.open(dir, { segmentBytes: 1 << 20 });
    expect(recovery.records).toBe(10);
    expect(recovery.truncatedBytes).toBe(bad.length + 3);
    await again.close();
    // only part of a header left
    const size = (await stat(file)).size;
    await appendFile(file, Buffer.from([9, 9, 9, 9, 9]));
    const { log: third, recovery: r3 } = await SegmentLog.open(dir, { segmentBytes: 1 << 20 });
    expect(r3.truncatedBytes).toBe(5);
    expect((await stat(file)).size).toBe(size);
    expect((await third.read(0, 100)).length).toBe(10);
    await third.close();
  });

  it('deletes only closed, acknowledged segments and keeps numbering after all are gone', async () => {
    const { log } = await SegmentLog.open(dir, { segmentBytes: 2048 });
    await fill(log, 0, 500);
    const before = log.segmentCount;
    const bytes = log.bytesOnDisk;
    const freed = await log.dropBefore(250);
    expect(freed).toBeGreaterThan(0);
    expect(log.bytesOnDisk).toBe(bytes - freed);
    expect(log.segmentCount).toBeLessThan(before);
    expect(log.firstIndex).toBeLessThanOrEqual(250);
    expect((await log.read(log.firstIndex, 1000)).at(-1)!.index).toBe(499);
    // everything acknowledged: the active segment and the newest closed one stay
    await log.dropBefore(500);
    expect(log.segmentCount).toBe(2);
    await log.close();
    // a fresh directory continuing after index 500 (the journal knows it)
    await rm(dir, { recursive: true, force: true });
    const { log: fresh } = await SegmentLog.open(dir, { segmentBytes: 2048, minNextIndex: 500 });
    expect(fresh.append(Buffer.from('x'), 0)).toBe(500);
    await fresh.commit();
    expect((await fresh.read(0, 10)).map((r) => r.index)).toEqual([500]);
    await fresh.close();
  });

  it('a segment cut short in the middle of the log leaves a gap that reads skip', async () => {
    const { log } = await SegmentLog.open(dir, { segmentBytes: 2048 });
    await fill(log, 0, 300);
    await log.close();
    const names = (await readdir(dir)).sort();
    const middle = join(dir, names[1]!);
    await truncate(middle, (await stat(middle)).size - 7);
    const { log: again, recovery } = await SegmentLog.open(dir, { segmentBytes: 2048 });
    expect(recovery.truncatedSegments).toEqual([names[1]]);
    const recs = await again.read(0, 1000);
    expect(recs).toHaveLength(299);
    expect(recs.at(-1)!.index).toBe(299);
    await again.close();
  });
});

describe('BatchJournal', () => {
  it('replays batches and acks, cuts a torn tail, compacts and renumbers after a higher cloud ack', async () => {
    const { journal } = await BatchJournal.open(dir, 48 * 8);
    const b1 = await journal.addBatch({ from: 0, to: 10, sentAt: 1, firstReceivedAt: 1 });
    const b2 = await journal.addBatch({ from: 10, to: 25, sentAt: 2, firstReceivedAt: 2 });
    expect([b1.seq, b2.seq]).toEqual([1, 2]);
    await expect(journal.addBatch({ from: 24, to: 30, sentAt: 3, firstReceivedAt: 3 })).rejects.toThrow(/start at 25/);
    await journal.ack(1);
    await journal.close();
    await appendFile(join(dir, 'batches.journal'), Buffer.alloc(20, 7));
    const { journal: j2, truncatedBytes } = await BatchJournal.open(dir, 48 * 8);
    expect(truncatedBytes).toBe(20);
    expect(j2.acked).toBe(1);
    expect(j2.unacked).toEqual([b2]);
    expect(j2.ackedTo).toBe(10);
    for (let i = 0; i < 10; i++) {
      const b = await j2.addBatch({ from: j2.nextFrom, to: j2.nextFrom + 5, sentAt: 10 + i, firstReceivedAt: 0 });
      await j2.ack(b.seq);
    }
    expect(j2.acked).toBe(12);
    await j2.close();
    // compacted: small, and still knows where the next batch starts
    expect((await stat(join(dir, 'batches.journal'))).size).toBeLessThanOrEqual(48 * 8);
    const { journal: j3 } = await BatchJournal.open(dir, 48 * 8);
    expect([j3.acked, j3.nextSeq, j3.nextFrom, j3.unacked.length]).toEqual([12, 13, 75, 0]);
    const open = await j3.addBatch({ from: 75, to: 80, sentAt: 99, firstReceivedAt: 0 });
    await j3.rebase(40);
    expect(j3.unacked).toEqual([{ ...open, seq: 41 }]);
    await j3.close();
    const { journal: j4 } = await BatchJournal.open(dir);
    expect([j4.acked, j4.unacked[0]?.seq, j4.nextSeq, j4.nextFrom]).toEqual([40, 41, 42, 80]);
    await j4.close();
  });
});
