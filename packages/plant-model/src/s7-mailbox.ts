/**
 * The job mailbox: one data block per S7 machine (its number is `interface.mailboxDb`) through
 * which the edge hands a job to the PLC. Same layout on the simulator and on the real PLC program.
 *
 * Handshake (edge = machine pod, PLC = the machine program or the simulator):
 *  1. The edge waits until `req` and `ack` are both false.
 *  2. The edge writes `command` (and for LOAD: `jobId`, `partNumber`, `quantity`), increments `seq`,
 *     then sets `req`.
 *  3. The PLC executes the command, writes `result` (0 = ok, else a MailboxResult code), copies
 *     `seq` into `ackSeq` and sets `ack`.
 *  4. The edge reads `result`, clears `req`; the PLC then clears `ack`. Step 4 must complete
 *     before the next command; a PLC that does not ack within the timeout is reported as an error.
 * Status fields (`jobState`, `good`, `scrap`, `busy`, `done`, `fault`) are owned by the PLC and
 * updated continuously; the edge only reads them.
 */
export const MailboxCommand = {
  none: 0,
  load: 1,
  start: 2,
  hold: 3,
  resume: 4,
  cancel: 5,
  /** acknowledge a completed/cancelled job so the PLC clears it and accepts the next one */
  clear: 6,
} as const;
export type MailboxCommandName = keyof typeof MailboxCommand;

export const MailboxResult = {
  ok: 0,
  busy: 1, // a job is loaded or running; LOAD refused
  noJob: 2, // START/HOLD/RESUME/CANCEL/CLEAR with no job loaded
  badState: 3, // command not allowed in the current job state
  unknownPart: 4, // part number not in the machine's part list
  badQuantity: 5, // quantity < 1
  machineFault: 6, // the machine is in fault or switched off
  unknownCommand: 7,
} as const;
export type MailboxResultName = keyof typeof MailboxResult;

export const MailboxJobState = {
  empty: 0,
  loaded: 1,
  setup: 2,
  running: 3,
  held: 4,
  completed: 5,
  cancelled: 6,
} as const;
export type MailboxJobStateName = keyof typeof MailboxJobState;

/** Field layout: byte offsets within the mailbox DB (addresses are built with the DB number). */
export const mailboxLayout = {
  req: { type: 'bool', offset: 0, bit: 0 },
  ack: { type: 'bool', offset: 0, bit: 1 },
  busy: { type: 'bool', offset: 0, bit: 2 },
  done: { type: 'bool', offset: 0, bit: 3 },
  fault: { type: 'bool', offset: 0, bit: 4 },
  command: { type: 'int', offset: 2 },
  result: { type: 'int', offset: 4 },
  seq: { type: 'int', offset: 6 },
  ackSeq: { type: 'int', offset: 8 },
  jobState: { type: 'int', offset: 10 },
  jobId: { type: 'string', offset: 12, length: 32 }, // 12..45
  partNumber: { type: 'string', offset: 46, length: 24 }, // 46..71
  quantity: { type: 'dint', offset: 72 },
  good: { type: 'dint', offset: 76 },
  scrap: { type: 'dint', offset: 80 },
} as const;
export type MailboxField = keyof typeof mailboxLayout;

/** Bytes the mailbox DB must have. */
export const mailboxSize = 84;

/** The nodes7-style address of a mailbox field in the given DB. */
export function mailboxAddress(db: number, field: MailboxField): string {
  const f = mailboxLayout[field] as { type: string; offset: number; bit?: number; length?: number };
  switch (f.type) {
    case 'bool': return `DB${db},X${f.offset}.${f.bit}`;
    case 'string': return `DB${db},S${f.offset}.${f.length}`;
    default: return `DB${db},${f.type.toUpperCase()}${f.offset}`;
  }
}
