// Kubernetes resource quantities (`1Gi`, `500m`, `2e3`), parsed with the grammar, rounding and
// canonical rendering of apimachinery's resource.Quantity, so sizes compare and print the way a
// user of upstream sees them. Values are kept exactly as a whole number of nano-units: the
// smallest step a Quantity can hold, so no floating point creeps into comparisons.

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** The value in nano-units (10^-9 of the base unit), exact. */
  readonly nanos: bigint;
  readonly format: QuantityFormat;
  /** The input text, when apimachinery keeps it as the rendering (already canonical). */
  readonly text?: string;
}

/** Thrown for input apimachinery's ParseQuantity rejects; the message is apimachinery's. */
export class QuantityError extends Error {
  override readonly name = 'QuantityError';
}

const ERR_FORMAT = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const ERR_SUFFIX = "unable to parse quantity's suffix";

const NANO = 1_000_000_000n;
const DEC_SUFFIXES: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BIN_SUFFIXES: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DEC_SUFFIX_BY_EXPONENT = new Map(Object.entries(DEC_SUFFIXES).map(([s, e]) => [e, s]));
const BIN_SUFFIX_BY_POWER = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
// BinarySI values are capped at the largest int64, as apimachinery does.
const MAX_BINARY_NANOS = (2n ** 63n - 1n) * NANO;
// Exponents beyond this would only build enormous numbers; no real quantity gets near it.
const MAX_EXPONENT = 4096;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

interface Pieces {
  positive: boolean;
  num: string;
  denom: string;
  suffix: string;
}

/** Splits the text as apimachinery's parseQuantityString does (same quirks, e.g. `1.G` is fine). */
function splitQuantity(str: string): Pieces {
  let pos = 0;
  const end = str.length;
  let positive = true;
  if (str[0] === '-') {
    positive = false;
    pos++;
  } else if (str[0] === '+') {
    pos++;
  }
  while (pos < end && str[pos] === '0') pos++;
  if (pos >= end) return { positive, num: '0', denom: '', suffix: '' };

  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  const num = str.slice(pos, i) || '0';
  pos = i;

  let denom = '';
  if (pos < end && str[pos] === '.') {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    pos = i;
  }

  const suffixStart = pos;
  while (pos < end && 'eEinumkKMGTP'.includes(str[pos] as string)) pos++;
  if (pos < end && (str[pos] === '-' || str[pos] === '+')) pos++;
  while (pos < end && isDigit(str[pos])) pos++;
  if (pos < end) throw new QuantityError(ERR_FORMAT);
  return { positive, num, denom, suffix: str.slice(suffixStart) };
}

function interpretSuffix(suffix: string): { base: 10 | 2; exponent: number; format: QuantityFormat } {
  const dec = DEC_SUFFIXES[suffix];
  if (dec !== undefined) return { base: 10, exponent: dec, format: 'DecimalSI' };
  const bin = BIN_SUFFIXES[suffix];
  if (bin !== undefined) return { base: 2, exponent: bin, format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[+-]?[0-9]+$/.test(suffix.slice(1))) {
    return { base: 10, exponent: Number.parseInt(suffix.slice(1), 10), format: 'DecimalExponent' };
  }
  throw new QuantityError(ERR_SUFFIX);
}

/** Ceiling of a / b for a >= 0, b > 0: apimachinery rounds sub-nano amounts up, never to zero. */
const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

/** Parses a quantity exactly; throws QuantityError where apimachinery's ParseQuantity fails. */
export function parseQuantityExact(input: string | number): Quantity {
  const str = typeof input === 'number' ? numberText(input) : input;
  if (str.length === 0) throw new QuantityError(ERR_FORMAT);
  if (str === '0') return { nanos: 0n, format: 'DecimalSI', text: str };

  const { positive, num, denom, suffix } = splitQuantity(str);
  const { base, exponent, format: parsedFormat } = interpretSuffix(suffix);
  if (Math.abs(exponent) > MAX_EXPONENT) throw new QuantityError(ERR_FORMAT);

  const digits = BigInt(num + denom);
  let magnitude: bigint;
  if (base === 10) {
    const shift = exponent - denom.length + 9;
    magnitude = shift >= 0 ? digits * 10n ** BigInt(shift) : ceilDiv(digits, 10n ** BigInt(-shift));
  } else {
    magnitude = ceilDiv(digits * 2n ** BigInt(exponent) * NANO, 10n ** BigInt(denom.length));
  }

  let format = parsedFormat;
  if (format === 'BinarySI') {
    if (magnitude > MAX_BINARY_NANOS) magnitude = MAX_BINARY_NANOS;
    if (magnitude > 0n && magnitude < NANO) format = 'DecimalSI';
  }
  const nanos = positive ? magnitude : -magnitude;
  const text = keepsOwnText(num, denom, exponent, base, parsedFormat) ? str : undefined;
  return text === undefined ? { nanos, format } : { nanos, format, text };
}

/**
 * Whether apimachinery's fast path keeps the input as the rendering: small integers in canonical
 * shape (which is why `+1G` or `01G` print as written while `1.5G` prints `1500M`).
 */
function keepsOwnText(num: string, denom: string, exponent: number, base: 10 | 2, format: QuantityFormat): boolean {
  if (base === 2) {
    if (exponent < 0 || denom !== '') return false;
    const precision = 15 - num.length - Math.trunc((exponent * 3) / 10) - 1;
    if (precision < 0) return false;
    const value = BigInt(num);
    if (value << BigInt(exponent) > 2n ** 63n - 1n) return false;
    return format === 'BinarySI' && exponent % 10 === 0 && (value & 7n) !== 0n;
  }
  if (18 - (num.length + denom.length) < 0) return false;
  const scale = exponent - denom.length;
  if (scale < -9) return false;
  const shifted = num + denom;
  return scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
}

/** JSON numbers reach us already parsed; render them back the way they would have been written. */
function numberText(n: number): string {
  if (!Number.isFinite(n)) throw new QuantityError(ERR_FORMAT);
  return String(n).replace('e+', 'e');
}

/** Parses a quantity into base units (bytes, cores, ...); throws QuantityError on invalid input. */
export function parseQuantity(s: string | number): number {
  return Number(parseQuantityExact(s).nanos) / 1e9;
}

/** Whether the text parses as a quantity. */
export function isValidQuantity(s: string | number): boolean {
  try {
    parseQuantityExact(s);
    return true;
  } catch (e) {
    if (e instanceof QuantityError) return false;
    throw e;
  }
}

/** Orders two quantities by value: negative, zero or positive like Quantity.Cmp. */
export function compareQuantities(a: string | number | Quantity, b: string | number | Quantity): -1 | 0 | 1 {
  const x = typeof a === 'object' ? a.nanos : parseQuantityExact(a).nanos;
  const y = typeof b === 'object' ? b.nanos : parseQuantityExact(b).nanos;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Removes the factors `factor` from n, returning what is left and how many were removed. */
function removeFactors(n: bigint, factor: bigint, limit = Number.POSITIVE_INFINITY): [bigint, number] {
  let times = 0;
  while (n !== 0n && n % factor === 0n && times < limit) {
    n /= factor;
    times++;
  }
  return [n, times];
}

/** Renders a quantity as Quantity.String() does (`1Gi`, `1500M`, `100m`, `1e3`). */
export function formatQuantity(q: Quantity): string {
  if (q.text !== undefined) return q.text;
  if (q.nanos === 0n) return '0';

  let format = q.format;
  if (format === 'BinarySI') {
    const small = q.nanos > -1024n * NANO && q.nanos < 1024n * NANO;
    if (small || q.nanos % NANO !== 0n) format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    const [mantissa, power] = removeFactors(q.nanos / NANO, 1024n, BIN_SUFFIX_BY_POWER.length - 1);
    return `${mantissa}${BIN_SUFFIX_BY_POWER[power] ?? ''}`;
  }

  let [mantissa, times] = removeFactors(q.nanos, 10n);
  let exponent = times - 9;
  while (((exponent % 3) + 3) % 3 !== 0) {
    mantissa *= 10n;
    exponent--;
  }
  if (format === 'DecimalExponent') return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
  const suffix = DEC_SUFFIX_BY_EXPONENT.get(exponent);
  return suffix === undefined ? `${mantissa}e${exponent}` : `${mantissa}${suffix}`;
}

/** The canonical rendering of a quantity text; throws QuantityError on invalid input. */
export function canonicalQuantity(s: string | number): string {
  return formatQuantity(parseQuantityExact(s));
}
