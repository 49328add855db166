import type { Machine } from '@plant-twin/plant-model';
import { S7Connection, type S7ConnectionOptions } from './connection.js';
import { S7JobMailbox } from './mailbox.js';
import { S7Poller, type S7PollerOptions } from './poller.js';

/**
 * Everything a machine pod needs for one S7 machine of the plant model: its one connection, the
 * poller over the machine's tag map, and the job mailbox - all on that connection.
 */
export interface S7Machine {
  connection: S7Connection;
  poller: S7Poller;
  mailbox: S7JobMailbox;
  /** starts connecting and polling */
  start(): void;
  /** stops polling and closes the connection */
  close(): Promise<void>;
}

export function openS7Machine(
  machine: Machine,
  options: { connection?: Partial<S7ConnectionOptions>; poller?: Partial<Omit<S7PollerOptions, 'connection' | 'tags'>>; mailboxAckTimeoutMs?: number } = {},
): S7Machine {
  const itf = machine.interface;
  if (itf.type !== 's7') throw new Error(`${machine.id} has a ${itf.type} interface, not s7`);
  // ask for 960 whatever the CPU: an S7-1200 answers 240, a large S7-1500 960, and the planner follows
  const connection = new S7Connection({ host: itf.host, port: itf.port, rack: itf.rack, slot: itf.slot, label: machine.id, ...options.connection });
  const poller = new S7Poller({ connection, tags: machine.tags, ...options.poller });
  const mailbox = new S7JobMailbox(connection, itf.mailboxDb, { ackTimeoutMs: options.mailboxAckTimeoutMs, label: machine.id });
  return {
    connection,
    poller,
    mailbox,
    start: () => void poller.start(),
    close: async () => {
      await poller.stop();
      await connection.close();
    },
  };
}
