import { describe, expect, it } from 'vitest';
import { csvFilename, plantIsoTime, toCsv, type CsvColumn } from './csv.js';

const berlin = 'Europe/Berlin';

describe('plantIsoTime', () => {
  it('writes the wall-clock time of the plant with its offset, across the DST change', () => {
    expect(plantIsoTime(Date.UTC(2026, 11, 7, 5, 0, 0), berlin)).toBe('2026-12-07T06:00:00+01:00');
    expect(plantIsoTime(Date.UTC(2026, 6, 7, 4, 0, 0), berlin)).toBe('2026-07-07T06:00:00+02:00');
    // the hour that happens twice on 2026-10-25 in Berlin: 02:30 summer time, then 02:30 winter time
    expect(plantIsoTime(Date.UTC(2026, 9, 25, 0, 30), berlin)).toBe('2026-10-25T02:30:00+02:00');
    expect(plantIsoTime(Date.UTC(2026, 9, 25, 1, 30), berlin)).toBe('2026-10-25T02:30:00+01:00');
    expect(plantIsoTime(Date.UTC(2026, 11, 7, 5, 0, 0), 'America/St_Johns')).toBe('2026-12-07T01:30:00-03:30');
    expect(plantIsoTime(Date.UTC(2026, 11, 7, 23, 59, 59, 999), 'UTC')).toBe('2026-12-07T23:59:59+00:00');
  });
});

describe('toCsv', () => {
  interface Row {
    machine: string;
    text: string;
    at: number;
    value: number | null;
    ok: boolean;
  }
  const columns: CsvColumn<Row>[] = [
    { header: 'machine', value: (r) => r.machine },
    { header: 'text, as shown', value: (r) => r.text },
    { header: 'at', value: (r) => ({ time: r.at }) },
    { header: 'value', value: (r) => r.value },
    { header: 'ok', value: (r) => r.ok },
  ];

  it('quotes per RFC 4180 and ends every record with CRLF', () => {
    const rows: Row[] = [
      { machine: 'PRS-01', text: 'plain', at: Date.UTC(2026, 11, 7, 5), value: 0.8125, ok: true },
      { machine: 'IMM-02', text: 'say "stop", now\r\nsecond line', at: Date.UTC(2026, 11, 7, 13, 59, 59), value: null, ok: false },
    ];
    expect(toCsv(columns, rows, berlin)).toBe(
      'machine,"text, as shown",at,value,ok\r\n' +
        'PRS-01,plain,2026-12-07T06:00:00+01:00,0.8125,true\r\n' +
        'IMM-02,"say ""stop"", now\r\nsecond line",2026-12-07T14:59:59+01:00,,false\r\n',
    );
  });

  it('defuses text a spreadsheet would run as a formula, but not numbers', () => {
    const rows: Row[] = [
      { machine: '=HYPERLINK("http://x")', text: '-1+2', at: 0, value: -3.5, ok: true },
      { machine: '@SUM(A1)', text: '+x', at: 0, value: Number.NaN, ok: true },
    ];
    const lines = toCsv(columns, rows, 'UTC').split('\r\n');
    expect(lines[1]).toBe(`"'=HYPERLINK(""http://x"")",'-1+2,1970-01-01T00:00:00+00:00,-3.5,true`);
    expect(lines[2]).toBe(`'@SUM(A1),'+x,1970-01-01T00:00:00+00:00,,true`);
  });

  it('gives only the header for no rows', () => {
    expect(toCsv(columns, [], berlin)).toBe('machine,"text, as shown",at,value,ok\r\n');
  });
});

describe('csvFilename', () => {
  it('names the subject and the plant-time range in file-system-safe characters', () => {
    const range = { from: Date.UTC(2026, 11, 7, 5), to: Date.UTC(2026, 11, 7, 13) };
    expect(csvFilename('oee plant', range, berlin)).toBe('oee-plant_2026-12-07_0600_to_2026-12-07_1400.csv');
    expect(csvFilename('alarms/PRS-01:active', range, 'UTC')).toBe('alarms-PRS-01-active_2026-12-07_0500_to_2026-12-07_1300.csv');
    expect(csvFilename('///', range, 'UTC')).toBe('export_2026-12-07_0500_to_2026-12-07_1300.csv');
  });
});
