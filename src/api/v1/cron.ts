// ScheduledBackup schedules, parsed and evaluated as upstream CloudNativePG does.
//
// Upstream calls `cron.Parse` of github.com/robfig/cron v1.2.0 (not v3): its default parser takes
// seconds, minutes, hours, day of month, month and an OPTIONAL day of week (5 or 6 fields; with 5
// fields the day of week is `*`), plus descriptors (`@daily`, `@every 1h30m`, ...). There is no
// `TZ=`/`CRON_TZ=` prefix in that version: such a spec fails like any other bad field. Times are
// computed in the location of the instant given, which for the operator is UTC. Error messages are
// the library's, since the webhook shows them to the user verbatim.

/** A parsed schedule. `next` is the first activation strictly after `after` (second precision). */
export interface CronSchedule {
  /** `null` when nothing matches within five years, as robfig's zero time. */
  next(after: Date): Date | null;
}

/** Parses a schedule as upstream's webhook and controller do; throws with robfig's message. */
export function parseCronSchedule(spec: string): CronSchedule {
  if (spec.length === 0) throw new Error('Empty spec string');
  if (spec.startsWith('@')) return parseDescriptor(spec);

  const fields = goFields(spec);
  if (fields.length < 5 || fields.length > 6) {
    throw new Error(`Expected 5 to 6 fields, found ${fields.length}: ${spec}`);
  }
  const [second, minute, hour, dom, month, dow = '*'] = fields as [string, string, string, string, string, string?];
  return new SpecSchedule({
    second: parseField(second, SECONDS),
    minute: parseField(minute, MINUTES),
    hour: parseField(hour, HOURS),
    dom: parseField(dom, DAYS_OF_MONTH),
    month: parseField(month, MONTHS),
    dow: parseField(dow, DAYS_OF_WEEK),
  });
}

/** The next `count` activations after `after` (fewer if the schedule runs dry). */
export function nextActivations(spec: string, after: Date, count: number): Date[] {
  const schedule = parseCronSchedule(spec);
  const result: Date[] = [];
  let cursor = after;
  while (result.length < count) {
    const next = schedule.next(cursor);
    if (next === null) break;
    result.push(next);
    cursor = next;
  }
  return result;
}

/**
 * Number of whitespace-separated fields, as Go's `strings.Fields`: upstream warns when a valid
 * schedule does not have exactly 6.
 */
export function cronFieldCount(spec: string): number {
  return goFields(spec).length;
}

// Go's unicode.IsSpace (JavaScript's \s differs: it has U+FEFF and lacks U+0085).
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

function goFields(s: string): string[] {
  return s.split(GO_SPACE).filter((f) => f !== '');
}

// ---------------------------------------------------------------------------------------------
// Fields

interface Bounds {
  readonly min: number;
  readonly max: number;
  readonly names?: ReadonlyMap<string, number>;
}

const SECONDS: Bounds = { min: 0, max: 59 };
const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DAYS_OF_MONTH: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = {
  min: 1,
  max: 12,
  names: new Map(
    ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map(
      (n, i) => [n, i + 1] as const,
    ),
  ),
};
const DAYS_OF_WEEK: Bounds = {
  min: 0,
  max: 6,
  names: new Map(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((n, i) => [n, i] as const)),
};

/** The values a field allows; `star` records a `*`/`?` (it changes day-of-month/week matching). */
interface FieldSet {
  readonly allowed: ReadonlySet<number>;
  readonly star: boolean;
}

interface SpecFields {
  readonly second: FieldSet;
  readonly minute: FieldSet;
  readonly hour: FieldSet;
  readonly dom: FieldSet;
  readonly month: FieldSet;
  readonly dow: FieldSet;
}

function allOf(b: Bounds): FieldSet {
  return { allowed: stepRange(b.min, b.max, 1), star: true };
}

function only(value: number): FieldSet {
  return { allowed: new Set([value]), star: false };
}

// A field is a comma-separated list of ranges; empty list items are skipped (strings.FieldsFunc).
function parseField(field: string, bounds: Bounds): FieldSet {
  const allowed = new Set<number>();
  let star = false;
  for (const expr of field.split(',')) {
    if (expr === '') continue;
    const range = parseRange(expr, bounds);
    for (const v of range.allowed) allowed.add(v);
    star ||= range.star;
  }
  return { allowed, star };
}

// range = ("*" | "?" | value ["-" value]) ["/" step]; "N/step" means "N-max/step".
function parseRange(expr: string, bounds: Bounds): FieldSet {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = (rangeAndStep[0] ?? '').split('-');
  const low = lowAndHigh[0] ?? '';
  let start: bigint;
  let end: bigint;
  let star = false;
  if (low === '*' || low === '?') {
    // Anything after the star (e.g. "*-5") is ignored, as in robfig.
    start = BigInt(bounds.min);
    end = BigInt(bounds.max);
    star = true;
  } else {
    start = parseIntOrName(low, bounds.names);
    if (lowAndHigh.length === 1) {
      end = start;
    } else if (lowAndHigh.length === 2) {
      end = parseIntOrName(lowAndHigh[1] ?? '', bounds.names);
    } else {
      throw new Error(`Too many hyphens: ${expr}`);
    }
  }

  let step = 1n;
  if (rangeAndStep.length === 2) {
    step = parseNonNegativeInt(rangeAndStep[1] ?? '');
    if (lowAndHigh.length === 1) end = BigInt(bounds.max);
  } else if (rangeAndStep.length > 2) {
    throw new Error(`Too many slashes: ${expr}`);
  }

  if (start < BigInt(bounds.min)) {
    throw new Error(`Beginning of range (${start}) below minimum (${bounds.min}): ${expr}`);
  }
  if (end > BigInt(bounds.max)) {
    throw new Error(`End of range (${end}) above maximum (${bounds.max}): ${expr}`);
  }
  if (start > end) {
    throw new Error(`Beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  }
  if (step === 0n) throw new Error(`Step of range should be a positive number: ${expr}`);

  // A step past the range only keeps the start, so clamping it keeps the loop small.
  const span = Number(end - start);
  return { allowed: stepRange(Number(start), Number(end), step > span ? span + 1 : Number(step)), star };
}

function stepRange(from: number, to: number, step: number): Set<number> {
  const values = new Set<number>();
  for (let v = from; v <= to; v += step) values.add(v);
  return values;
}

function parseIntOrName(expr: string, names: ReadonlyMap<string, number> | undefined): bigint {
  const named = names?.get(expr.toLowerCase());
  return named === undefined ? parseNonNegativeInt(expr) : BigInt(named);
}

function parseNonNegativeInt(expr: string): bigint {
  const num = goAtoi(expr);
  if (typeof num === 'string') throw new Error(`Failed to parse int from ${expr}: ${num}`);
  if (num < 0n) throw new Error(`Negative number (${num}) not allowed: ${expr}`);
  return num;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.Atoi (64-bit int): the value, or the error text. */
function goAtoi(s: string): bigint | string {
  if (!/^[+-]?[0-9]+$/.test(s)) return `strconv.Atoi: parsing ${goStrconvQuote(s)}: invalid syntax`;
  const n = BigInt(s);
  if (n < INT64_MIN || n > INT64_MAX) {
    return `strconv.Atoi: parsing ${goStrconvQuote(s)}: value out of range`;
  }
  return n;
}

const NAMED_ESCAPES: ReadonlyMap<string, string> = new Map([
  ['\x07', '\\a'],
  ['\b', '\\b'],
  ['\f', '\\f'],
  ['\n', '\\n'],
  ['\r', '\\r'],
  ['\t', '\\t'],
  ['\v', '\\v'],
  ['"', '\\"'],
  ['\\', '\\\\'],
]);

// Go's strconv.Quote, close enough for the field texts that can reach it (no whitespace).
function goStrconvQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    const named = NAMED_ESCAPES.get(ch);
    if (named !== undefined) out += named;
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex2(cp)}`;
    else if ((cp >= 0x80 && cp < 0xa0) || cp === 0xad || cp === 0xfeff) {
      out += `\\u${cp.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

// ---------------------------------------------------------------------------------------------
// Descriptors

function parseDescriptor(descriptor: string): CronSchedule {
  const midnight = { second: only(0), minute: only(0), hour: only(0) };
  switch (descriptor) {
    case '@yearly':
    case '@annually':
      return new SpecSchedule({
        ...midnight,
        dom: only(1),
        month: only(1),
        dow: allOf(DAYS_OF_WEEK),
      });
    case '@monthly':
      return new SpecSchedule({
        ...midnight,
        dom: only(1),
        month: allOf(MONTHS),
        dow: allOf(DAYS_OF_WEEK),
      });
    case '@weekly':
      return new SpecSchedule({
        ...midnight,
        dom: allOf(DAYS_OF_MONTH),
        month: allOf(MONTHS),
        dow: only(0),
      });
    case '@daily':
    case '@midnight':
      return new SpecSchedule({
        ...midnight,
        dom: allOf(DAYS_OF_MONTH),
        month: allOf(MONTHS),
        dow: allOf(DAYS_OF_WEEK),
      });
    case '@hourly':
      return new SpecSchedule({
        second: only(0),
        minute: only(0),
        hour: allOf(HOURS),
        dom: allOf(DAYS_OF_MONTH),
        month: allOf(MONTHS),
        dow: allOf(DAYS_OF_WEEK),
      });
  }
  const every = '@every ';
  if (descriptor.startsWith(every)) {
    const nanos = goParseDuration(descriptor.slice(every.length));
    if (typeof nanos === 'string') {
      throw new Error(`Failed to parse duration ${descriptor}: ${nanos}`);
    }
    return new ConstantDelaySchedule(nanos);
  }
  throw new Error(`Unrecognized descriptor: ${descriptor}`);
}

const NS_PER_SECOND = 1_000_000_000n;

/** `@every`: a fixed delay, at least one second, whole seconds only (the rest is dropped). */
class ConstantDelaySchedule implements CronSchedule {
  readonly delaySeconds: number;

  constructor(nanos: bigint) {
    const d = nanos < NS_PER_SECOND ? NS_PER_SECOND : nanos;
    this.delaySeconds = Number(d / NS_PER_SECOND);
  }

  // The activation lands on a whole second: the sub-second part of `after` is dropped.
  next(after: Date): Date {
    const wholeSecond = Math.floor(after.getTime() / 1000) * 1000;
    return new Date(wholeSecond + this.delaySeconds * 1000);
  }
}

// Units of Go's time.ParseDuration, in nanoseconds (both micro signs are accepted).
const DURATION_UNITS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n],
  ['\u03bcs', 1_000n],
  ['ms', 1_000_000n],
  ['s', NS_PER_SECOND],
  ['m', 60n * NS_PER_SECOND],
  ['h', 3600n * NS_PER_SECOND],
]);

const UINT63 = 2n ** 63n;

/** Go's time.ParseDuration: nanoseconds, or the error text. */
function goParseDuration(orig: string): bigint | string {
  const invalid = `time: invalid duration ${goTimeQuote(orig)}`;
  let s = orig;
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s.startsWith('-');
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') return invalid;
  let total = 0n;
  while (s !== '') {
    if (!/^[0-9.]/.test(s)) return invalid;
    const intDigits = /^[0-9]*/.exec(s)?.[0] ?? '';
    s = s.slice(intDigits.length);
    let v = intDigits === '' ? 0n : BigInt(intDigits);
    if (v > UINT63) return invalid;
    let fraction = 0n;
    let scale = 1;
    let fractionDigits = '';
    if (s.startsWith('.')) {
      fractionDigits = /^\.([0-9]*)/.exec(s)?.[1] ?? '';
      s = s.slice(1 + fractionDigits.length);
      // Digits that would overflow are ignored, as Go does.
      for (const digit of fractionDigits) {
        const next = fraction * 10n + BigInt(digit);
        if (fraction > (UINT63 - 1n) / 10n || next > UINT63) break;
        fraction = next;
        scale *= 10;
      }
    }
    if (intDigits === '' && fractionDigits === '') return invalid;
    const unitText = /^[^0-9.]*/.exec(s)?.[0] ?? '';
    if (unitText === '') return `time: missing unit in duration ${goTimeQuote(orig)}`;
    s = s.slice(unitText.length);
    const unit = DURATION_UNITS.get(unitText);
    if (unit === undefined) {
      return `time: unknown unit ${goTimeQuote(unitText)} in duration ${goTimeQuote(orig)}`;
    }
    if (v > UINT63 / unit) return invalid;
    v *= unit;
    if (fraction > 0n) {
      v += BigInt(Math.trunc(Number(fraction) * (Number(unit) / scale)));
      if (v > UINT63) return invalid;
    }
    total += v;
    if (total > UINT63) return invalid;
  }
  if (neg) return -total;
  if (total > UINT63 - 1n) return invalid;
  return total;
}

// The time package's own quoting: non-ASCII and control bytes as \x escapes.
function goTimeQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x20 || cp >= 0x80) {
      for (const byte of new TextEncoder().encode(ch)) out += `\\x${hex2(byte)}`;
    } else out += ch === '"' || ch === '\\' ? `\\${ch}` : ch;
  }
  return `${out}"`;
}

// ---------------------------------------------------------------------------------------------
// Activation times

const MS_PER_SECOND = 1000;

class SpecSchedule implements CronSchedule {
  readonly fields: SpecFields;

  constructor(fields: SpecFields) {
    this.fields = fields;
  }

  next(after: Date): Date | null {
    const f = this.fields;
    // A field that allows nothing can never match (robfig would search five years for nothing).
    if ([f.second, f.minute, f.hour, f.month].some((x) => x.allowed.size === 0)) return null;

    const start = new Date(Math.floor(after.getTime() / MS_PER_SECOND) * MS_PER_SECOND + MS_PER_SECOND);
    const y0 = start.getUTCFullYear();
    const m0 = start.getUTCMonth() + 1;
    const d0 = start.getUTCDate();
    const h0 = start.getUTCHours();
    const mi0 = start.getUTCMinutes();
    const s0 = start.getUTCSeconds();

    // The earliest match no earlier than `start`; a field only starts from the cursor's value
    // while every larger field still equals the cursor's, otherwise from its minimum.
    // robfig gives up past the fifth year after the start.
    for (let year = y0; year <= y0 + 5; year++) {
      const atY = year === y0;
      for (let month = atY ? m0 : 1; month <= 12; month++) {
        if (!f.month.allowed.has(month)) continue;
        const atM = atY && month === m0;
        const lastDay = daysInMonth(year, month);
        for (let day = atM ? d0 : 1; day <= lastDay; day++) {
          if (!this.dayMatches(year, month, day)) continue;
          const atD = atM && day === d0;
          const time = this.firstTimeOfDay(atD ? h0 : 0, atD ? mi0 : 0, atD ? s0 : 0);
          if (time !== undefined) return utcDate(year, month, day, ...time);
        }
      }
    }
    return null;
  }

  // The earliest allowed time of day at or after hour:minute:second.
  private firstTimeOfDay(hour: number, minute: number, second: number): [number, number, number] | undefined {
    const f = this.fields;
    for (let h = hour; h <= 23; h++) {
      if (!f.hour.allowed.has(h)) continue;
      for (let m = h === hour ? minute : 0; m <= 59; m++) {
        if (!f.minute.allowed.has(m)) continue;
        const s = firstFrom(f.second.allowed, h === hour && m === minute ? second : 0, 59);
        if (s !== undefined) return [h, m, s];
      }
    }
    return undefined;
  }

  // With a star in either day field both must match; otherwise either one is enough.
  private dayMatches(year: number, month: number, day: number): boolean {
    const { dom, dow } = this.fields;
    const domMatch = dom.allowed.has(day);
    const dowMatch = dow.allowed.has(utcDate(year, month, day).getUTCDay());
    return dom.star || dow.star ? domMatch && dowMatch : domMatch || dowMatch;
  }
}

function firstFrom(allowed: ReadonlySet<number>, from: number, max: number): number | undefined {
  for (let v = from; v <= max; v++) if (allowed.has(v)) return v;
  return undefined;
}

function daysInMonth(year: number, month: number): number {
  return utcDate(year, month + 1, 0).getUTCDate();
}

// Date.UTC would read years 0-99 as 1900-1999.
function utcDate(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): Date {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d;
}
