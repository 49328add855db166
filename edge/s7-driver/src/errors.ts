/**
 * Errors of the S7 driver. Each says what happened and, where the cause is a PLC setting, exactly
 * what to change in TIA Portal: users of today's tools get a bare "error 0x05" and no idea that the
 * S7-1200/1500 factory settings (optimized block access, PUT/GET disabled) are the cause.
 */
export class S7Error extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The TCP/ISO connection is down, could not be made, was dropped or timed out. */
export class S7ConnectionError extends S7Error {}

/** The PLC (or whatever answers on port 102) sent a reply that is not valid S7comm. */
export class S7ProtocolError extends S7Error {
  constructor(message: string) {
    super(message, 'protocol');
  }
}

const putGet = "enable 'Permit access with PUT/GET communication from remote partner' (CPU properties > Protection & Security > Connection mechanisms) and download the hardware configuration";
const optimized = (db: number) => `disable 'Optimized block access' for DB${db} (right-click DB${db} > Properties > Attributes), compile and download`;

/** Messages for the error class/code in the header of an S7 ack-data reply. */
const headerErrors: Record<number, string> = {
  0x8104: `the CPU refused the service (0x8104 "context not supported"). On an S7-1200/1500 this means PUT/GET access is off: in TIA Portal ${putGet}`,
  0x8500: 'the request exceeded the negotiated PDU size (0x8500); this is a driver bug, please report it with the tag map',
  0x8304: 'the CPU has no resources for the request (0x8304); reduce the number of parallel connections to this PLC',
  0x8702: 'the CPU rejected the address (0x8702 "access error")',
  0xd241: `the CPU's protection level forbids the access (0xD241): in TIA Portal set the CPU's access level to full access or ${putGet}`,
};

/** The PLC answered a whole request with an error class/code in the S7 header. */
export class S7PlcError extends S7Error {
  constructor(
    readonly errorClass: number,
    readonly errorCode: number,
  ) {
    const both = (errorClass << 8) | errorCode;
    const known = headerErrors[both];
    super(known ?? `the PLC answered with error class 0x${hex(errorClass)} code 0x${hex(errorCode)} (${errorClassText(errorClass)})`, `plc-0x${hex(errorClass)}${hex(errorCode)}`);
  }
}

function errorClassText(c: number): string {
  return (
    { 0x81: 'application relationship error', 0x82: 'object definition error', 0x83: 'no resources available', 0x84: 'error on service processing', 0x85: 'error on supplies', 0x87: 'access error' }[c] ??
    'unknown error class'
  );
}

const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');

export interface ItemRef {
  db: number;
  start: number;
  length: number;
}

/** Return codes of single items in read/write replies (S7comm "return code"). */
export const itemReturnCodes: Record<number, string> = {
  0x01: 'hardware fault',
  0x03: 'access to the object not allowed',
  0x05: 'address out of range',
  0x06: 'data type not supported',
  0x07: 'data type inconsistent (size mismatch)',
  0x0a: 'object does not exist',
};

/** One item (a byte range of one DB) of a read or write was refused by the PLC. */
export class S7ItemError extends S7Error {
  constructor(
    readonly item: ItemRef,
    readonly returnCode: number,
  ) {
    super(itemMessage(item, returnCode), `item-0x${hex(returnCode)}`);
  }
}

function itemMessage(it: ItemRef, rc: number): string {
  const where = `DB${it.db} bytes ${it.start}..${it.start + it.length - 1}`;
  switch (rc) {
    case 0x03:
      return `DB${it.db} is not accessible (${where}: access not allowed): in TIA Portal ${optimized(it.db)} and ${putGet}`;
    case 0x05:
      return `${where} is out of range: either DB${it.db} is shorter than the tag map expects (check the offsets in plant.yaml against the DB), or DB${it.db} has optimized block access and so no absolute addresses: in TIA Portal ${optimized(it.db)}`;
    case 0x0a:
      return `DB${it.db} does not exist in the PLC or is not accessible: check the DB number in plant.yaml; if it exists, in TIA Portal ${optimized(it.db)} and ${putGet}`;
    case 0x07:
      return `${where}: data size mismatch (0x07); the item's type or length does not match the PLC's`;
    default:
      return `${where}: the PLC refused the item with return code 0x${hex(rc)} (${itemReturnCodes[rc] ?? 'unknown'})`;
  }
}

/** Human text for an error of any kind, for logs and the pod's status. */
export function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
