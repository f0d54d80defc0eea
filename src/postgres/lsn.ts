// PostgreSQL log sequence numbers as they are printed (`16/B374D848`: high and low 32-bit halves in
// hexadecimal), compared as the 64-bit positions they are.

/** The position `text` names; throws on anything that is not an LSN. */
export function parseLsn(text: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (m === null) throw new Error(`not a PostgreSQL LSN: ${JSON.stringify(text)}`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

/** Negative, zero or positive as `a` is before, at or after `b`; a missing LSN is before any other. */
export function compareLsn(a: string | undefined, b: string | undefined): number {
  const x = a === undefined || a === '' ? -1n : parseLsn(a);
  const y = b === undefined || b === '' ? -1n : parseLsn(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
