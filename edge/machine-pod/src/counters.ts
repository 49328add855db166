/**
 * Counter arithmetic for PLC part counters. A DINT counter read as a signed value wraps from
 * 2^31-1 to -2^31; read as unsigned 32-bit it simply wraps at 2^32. A drop that is not a wrap is a
 * reset (counter cleared by the PLC program or a download): the parts since the reset are the new
 * reading itself.
 */
const span = 2 ** 32;
/** A fall from within this distance of the top of the range to within it of zero is a wrap. */
const wrapZone = 2 ** 24;

export function unsigned32(v: number): number {
  return v < 0 ? v + span : v;
}

export function counterDelta(previous: number, current: number): number {
  const p = unsigned32(previous);
  const c = unsigned32(current);
  if (c >= p) return c - p;
  if (p > span - wrapZone && c < wrapZone) return span - p + c;
  return c;
}
