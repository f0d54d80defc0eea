// `runonserver` of a custom query: a semantic-version range in the syntax upstream's exporter
// accepts (blang/semver): comparators (`<`, `<=`, `>`, `>=`, `=`, `==`, `!=`, `!` or none for
// equality) joined by spaces (all must hold) and alternatives joined by `||`. PostgreSQL 15.8
// compares as 15.0.8, as upstream maps PostgreSQL's two-part versions.
export class VersionRangeError extends Error {
  override readonly name = 'VersionRangeError';
}

type Triple = [number, number, number];
type Operator = '<' | '<=' | '>' | '>=' | '=' | '!=';

interface Comparator {
  op: Operator;
  version: Triple;
}

/** Alternatives, each a list of comparators that must all hold. */
export type VersionRange = Comparator[][];

const COMPARATOR = /^(<=|>=|==|!=|<|>|=|!)?v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/;

function compare(a: Triple, b: Triple): number {
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function parseVersionRange(text: string): VersionRange {
  const alternatives = text.split('||').map((alt) => {
    // `>= 17.0.0` is one comparator with a space inside: glue operators to their version.
    const tokens = alt
      .trim()
      .replace(/(<=|>=|==|!=|<|>|=|!)\s+/g, '$1')
      .split(/\s+/)
      .filter((t) => t !== '');
    if (tokens.length === 0) throw new VersionRangeError(`runonserver "${text}" has an empty alternative`);
    return tokens.map((token): Comparator => {
      const m = COMPARATOR.exec(token);
      if (m === null) throw new VersionRangeError(`runonserver "${text}": "${token}" is not a version comparator`);
      const raw = m[1] ?? '=';
      const op: Operator = raw === '==' ? '=' : raw === '!' ? '!=' : (raw as Operator);
      return { op, version: [Number(m[2]), Number(m[3] ?? 0), Number(m[4] ?? 0)] };
    });
  });
  return alternatives;
}

function holds(c: Comparator, version: Triple): boolean {
  const d = compare(version, c.version);
  switch (c.op) {
    case '<':
      return d < 0;
    case '<=':
      return d <= 0;
    case '>':
      return d > 0;
    case '>=':
      return d >= 0;
    case '=':
      return d === 0;
    case '!=':
      return d !== 0;
  }
}

/** The semantic version of a PostgreSQL version text (`15.8` → 15.0.8, `9.6.24` → 9.6.24). */
export function postgresSemver(text: string): Triple {
  const parts = (/^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text) ?? []).slice(1).map((p) => Number(p ?? 0));
  const [major = 0, second = 0, third = 0] = parts;
  return major >= 10 ? [major, 0, second] : [major, second, third];
}

export function versionInRange(range: VersionRange, version: Triple): boolean {
  return range.some((alternative) => alternative.every((c) => holds(c, version)));
}
