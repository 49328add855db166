/**
 * The vendor database of the SQL-Server-backed machines (CNC cell controller, paint line
 * controller). The same schema is served by the simulator's TDS server and read by the
 * machine pod; on the real machine it is the vendor's database (names mapped in the site file
 * if they differ). Tag addresses of SQL machines are "<Table>.<Column>" with Table one of
 * CycleLog or ProcessLog; those tag columns are added to the fixed columns below.
 */
export const sqlVendorTables = {
  /** one row per finished cycle (part), appended by the machine */
  CycleLog: {
    key: 'CycleId',
    time: 'CycleEnd',
    fixed: [
      ['CycleId', 'BIGINT IDENTITY PRIMARY KEY'],
      ['CycleEnd', 'DATETIME2(3) NOT NULL'],
      ['JobId', 'NVARCHAR(32) NULL'],
      ['PartNumber', 'NVARCHAR(24) NULL'],
      ['Result', "NVARCHAR(8) NOT NULL"], // 'OK' | 'NOK'
      ['CycleTimeS', 'REAL NOT NULL'],
    ],
  },
  /** process values sampled periodically (every `sampleS` seconds) by the machine */
  ProcessLog: {
    key: 'SampleId',
    time: 'SampleTime',
    fixed: [
      ['SampleId', 'BIGINT IDENTITY PRIMARY KEY'],
      ['SampleTime', 'DATETIME2(3) NOT NULL'],
    ],
  },
  /** one row per machine state change */
  MachineState: {
    key: 'EventId',
    time: 'EventTime',
    fixed: [
      ['EventId', 'BIGINT IDENTITY PRIMARY KEY'],
      ['EventTime', 'DATETIME2(3) NOT NULL'],
      ['State', 'NVARCHAR(16) NOT NULL'], // MachineState values of the plant model, upper case
      ['AlarmCode', 'INT NOT NULL'],
    ],
  },
  /** alarm raise / clear events */
  AlarmLog: {
    key: 'AlarmEventId',
    time: 'EventTime',
    fixed: [
      ['AlarmEventId', 'BIGINT IDENTITY PRIMARY KEY'],
      ['EventTime', 'DATETIME2(3) NOT NULL'],
      ['Code', 'INT NOT NULL'],
      ['Text', 'NVARCHAR(128) NOT NULL'],
      ['Severity', 'NVARCHAR(8) NOT NULL'], // 'INFO' | 'WARN' | 'FAULT'
      ['Active', 'BIT NOT NULL'],
    ],
  },
  /**
   * The job queue: the edge INSERTs a job (Status 'QUEUED') and sets Command to request
   * 'START' | 'HOLD' | 'RESUME' | 'CANCEL'; the machine consumes Command (sets it NULL), moves
   * Status through 'SETUP' | 'RUNNING' | 'HELD' | 'DONE' | 'CANCELLED' | 'REJECTED' and keeps
   * GoodQty / ScrapQty current. UpdatedAt changes on every machine update.
   */
  JobQueue: {
    key: 'QueueId',
    time: 'UpdatedAt',
    fixed: [
      ['QueueId', 'INT IDENTITY PRIMARY KEY'],
      ['JobId', 'NVARCHAR(32) NOT NULL UNIQUE'],
      ['PartNumber', 'NVARCHAR(24) NOT NULL'],
      ['Quantity', 'INT NOT NULL'],
      ['Status', 'NVARCHAR(16) NOT NULL'],
      ['Command', 'NVARCHAR(16) NULL'],
      ['GoodQty', 'INT NOT NULL'],
      ['ScrapQty', 'INT NOT NULL'],
      ['Message', 'NVARCHAR(128) NULL'],
      ['CreatedAt', 'DATETIME2(3) NOT NULL'],
      ['UpdatedAt', 'DATETIME2(3) NOT NULL'],
    ],
  },
} as const;
export type SqlVendorTable = keyof typeof sqlVendorTables;
export const sqlTagTables = ['CycleLog', 'ProcessLog'] as const;
export const sqlJobStatuses = ['QUEUED', 'SETUP', 'RUNNING', 'HELD', 'DONE', 'CANCELLED', 'REJECTED'] as const;
export const sqlJobCommands = ['START', 'HOLD', 'RESUME', 'CANCEL'] as const;

/** The SQL type of a tag's column as the simulator's vendor tables declare it (a real database may use any type that holds the tag's type). */
export function sqlTagColumnType(t: { type: string }): string {
  switch (t.type) {
    case 'bool': return 'BIT NULL';
    case 'byte': return 'TINYINT NULL';
    case 'int': return 'SMALLINT NULL';
    case 'word':
    case 'dint': return 'INT NULL';
    case 'dword': return 'BIGINT NULL';
    case 'lreal': return 'FLOAT NULL';
    case 'string':
    case 'char': return 'NVARCHAR(64) NULL';
    default: return 'REAL NULL';
  }
}

/** Every vendor table of a SQL machine with its columns and types: the fixed ones, then the machine's tag columns. */
export function vendorTableColumns(machine: { tags: readonly { address: string; type: string }[] }): Record<SqlVendorTable, (readonly [string, string])[]> {
  const out = {} as Record<SqlVendorTable, (readonly [string, string])[]>;
  for (const [name, def] of Object.entries(sqlVendorTables) as [SqlVendorTable, (typeof sqlVendorTables)[SqlVendorTable]][]) {
    const fixed = new Set<string>(def.fixed.map(([c]) => c));
    const tags = (sqlTagTables as readonly string[]).includes(name) ? machine.tags.filter((t) => t.address.startsWith(`${name}.`) && !fixed.has(t.address.slice(name.length + 1))) : [];
    out[name] = [...def.fixed, ...tags.map((t) => [t.address.slice(name.length + 1), sqlTagColumnType(t)] as const)];
  }
  return out;
}
