// Python literals as barman writes them into backup.info (`repr()` of strings, lists of tuples,
// dicts of floats) and reads them back (`ast.literal_eval`). Only the literal syntax barman uses:
// strings, numbers, None/True/False, lists, tuples and dicts.

/** A tuple, written `(a, b)`; read back as its items. */
export class PyTuple {
  readonly items: PyValue[];
  constructor(items: PyValue[]) {
    this.items = items;
  }
}

/** A float, written with Python's repr (`1.0`, `0.25`, `1e-05`): JS numbers are ints on output. */
export class PyFloat {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

export type PyValue = string | number | boolean | null | PyFloat | PyTuple | PyValue[] | { [key: string]: PyValue };

// str.isprintable() is false for these categories; the space is the one printable separator.
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** `repr(s)` of a Python 3 str. */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch !== ' ' && NOT_PRINTABLE.test(ch)) {
      if (code < 0x100) out += `\\x${code.toString(16).padStart(2, '0')}`;
      else if (code < 0x10000) out += `\\u${code.toString(16).padStart(4, '0')}`;
      else out += `\\U${code.toString(16).padStart(8, '0')}`;
    } else out += ch;
  }
  return out + quote;
}

function floatRepr(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.0`;
  // JS and Python agree on the shortest round-trip digits; Python pads the exponent to 2 digits.
  return String(v).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** `repr()` of a value. */
export function pyRepr(value: PyValue): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return pyStrRepr(value);
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`not an integer: ${value} (use PyFloat for floats)`);
    return String(value);
  }
  if (value instanceof PyFloat) return floatRepr(value.value);
  if (value instanceof PyTuple) {
    const items = value.items.map(pyRepr);
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
  }
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(value)
    .map(([k, v]) => `${pyStrRepr(k)}: ${pyRepr(v)}`)
    .join(', ')}}`;
}

/** The value of a Python literal (what `ast.literal_eval` accepts for barman's fields). */
export type ParsedPyValue = string | number | boolean | null | ParsedPyValue[] | { [key: string]: ParsedPyValue };

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  n: '\n',
  r: '\r',
  t: '\t',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '\n': '',
};

class Parser {
  pos = 0;
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }

  fail(what: string): never {
    throw new Error(`invalid Python literal at offset ${this.pos}: ${what}`);
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }

  value(): ParsedPyValue {
    this.skipSpace();
    const ch = this.text[this.pos];
    if (ch === undefined) this.fail('unexpected end');
    if (ch === '[') return this.sequence('[', ']');
    if (ch === '(') return this.sequence('(', ')');
    if (ch === '{') return this.dict();
    if (/[rRbBuU'"]/.test(ch)) return this.string();
    const word = /^(None|True|False)\b/.exec(this.text.slice(this.pos));
    if (word !== null) {
      this.pos += word[0].length;
      return word[0] === 'None' ? null : word[0] === 'True';
    }
    const num = /^[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?/.exec(this.text.slice(this.pos));
    if (num !== null && num[0] !== '' && /\d/.test(num[0])) {
      this.pos += num[0].length;
      return Number(num[0].replaceAll('_', ''));
    }
    return this.fail(`unexpected ${JSON.stringify(ch)}`);
  }

  sequence(open: string, close: string): ParsedPyValue[] {
    this.pos++; // open
    const items: ParsedPyValue[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos++;
        return items;
      }
      items.push(this.value());
      this.skipSpace();
      const sep = this.text[this.pos];
      if (sep === ',') this.pos++;
      else if (sep !== close) this.fail(`expected "," or "${close}" in ${open}${close}`);
    }
  }

  dict(): { [key: string]: ParsedPyValue } {
    this.pos++;
    const out: { [key: string]: ParsedPyValue } = {};
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return out;
      }
      const key = this.value();
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail('expected ":" in a dict');
      this.pos++;
      out[String(key)] = this.value();
      this.skipSpace();
      const sep = this.text[this.pos];
      if (sep === ',') this.pos++;
      else if (sep !== '}') this.fail('expected "," or "}" in a dict');
    }
  }

  string(): string {
    const prefix = /^[rRbBuU]*/.exec(this.text.slice(this.pos))?.[0] ?? '';
    const raw = /[rR]/.test(prefix);
    this.pos += prefix.length;
    const triple = this.text.startsWith(this.text[this.pos]?.repeat(3) ?? '', this.pos);
    const quote = (this.text[this.pos] ?? '').repeat(triple ? 3 : 1);
    if (quote !== "'" && quote !== '"' && quote !== "'''" && quote !== '"""') this.fail('expected a quote');
    this.pos += quote.length;
    let out = '';
    for (;;) {
      if (this.pos >= this.text.length) this.fail('unterminated string');
      if (this.text.startsWith(quote, this.pos)) {
        this.pos += quote.length;
        break;
      }
      const ch = this.text[this.pos] as string;
      if (ch !== '\\') {
        out += ch;
        this.pos++;
        continue;
      }
      const next = this.text[this.pos + 1] ?? '';
      if (raw) {
        out += ch + next;
        this.pos += 2;
        continue;
      }
      this.pos += 2;
      if (next in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[next];
      else if (next === 'x' || next === 'u' || next === 'U') {
        const len = next === 'x' ? 2 : next === 'u' ? 4 : 8;
        const hex = this.text.slice(this.pos, this.pos + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) this.fail(`bad \\${next} escape`);
        out += String.fromCodePoint(Number.parseInt(hex, 16));
        this.pos += len;
      } else if (/[0-7]/.test(next)) {
        const oct = /^[0-7]{0,2}/.exec(this.text.slice(this.pos))?.[0] ?? '';
        out += String.fromCodePoint(Number.parseInt(next + oct, 8));
        this.pos += oct.length;
      } else out += `\\${next}`;
    }
    // Adjacent literals concatenate ('a' 'b'), as in Python.
    const save = this.pos;
    this.skipSpace();
    if (/['"]/.test(this.text[this.pos] ?? '')) return out + this.string();
    this.pos = save;
    return out;
  }
}

/** Parses one Python literal; throws naming the offset of anything else. */
export function parsePyLiteral(text: string): ParsedPyValue {
  const p = new Parser(text);
  const value = p.value();
  p.skipSpace();
  if (p.pos !== text.length) p.fail('trailing characters');
  return value;
}
