// Field errors in the shape and wording of Kubernetes' apimachinery `field.Error`, so that
// messages read exactly as a user of upstream CloudNativePG sees them from the API server.

export type FieldErrorType =
  | 'Invalid value'
  | 'Required value'
  | 'Duplicate value'
  | 'Unsupported value'
  | 'Forbidden'
  | 'Too long'
  | 'Too many'
  | 'Not found'
  | 'Internal error'
  | 'Unknown field';

/** Types whose message never shows the offending value (as in apimachinery). */
const VALUELESS: ReadonlySet<FieldErrorType> = new Set(['Required value', 'Forbidden', 'Too long', 'Internal error']);

export const OMIT_VALUE: unique symbol = Symbol('omit value');

export class FieldError {
  readonly type: FieldErrorType;
  readonly field: string;
  readonly value: unknown;
  readonly detail: string;

  constructor(type: FieldErrorType, field: string, value: unknown, detail: string) {
    this.type = type;
    this.field = field;
    this.value = value;
    this.detail = detail;
  }

  /** The message body without the field path, as apimachinery's `ErrorBody`. */
  body(): string {
    let s: string = this.type;
    if (!VALUELESS.has(this.type) && this.value !== OMIT_VALUE) {
      s += `: ${renderValue(this.value)}`;
    }
    if (this.detail !== '') s += `: ${this.detail}`;
    return s;
  }

  toString(): string {
    if (this.type === 'Unknown field') return `unknown field "${this.field}"`;
    return `${this.field}: ${this.body()}`;
  }
}

/** Go's %v for numbers and booleans, %q for strings, JSON for the rest. */
export function renderValue(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  return JSON.stringify(value);
}

export const fieldErr = {
  invalid: (field: string, value: unknown, detail: string): FieldError =>
    new FieldError('Invalid value', field, value, detail),
  required: (field: string, detail = ''): FieldError => new FieldError('Required value', field, OMIT_VALUE, detail),
  duplicate: (field: string, value: unknown): FieldError => new FieldError('Duplicate value', field, value, ''),
  notSupported: (field: string, value: unknown, supported: readonly string[]): FieldError =>
    new FieldError(
      'Unsupported value',
      field,
      value,
      supported.length > 0 ? `supported values: ${supported.map((v) => JSON.stringify(v)).join(', ')}` : '',
    ),
  forbidden: (field: string, detail: string): FieldError => new FieldError('Forbidden', field, OMIT_VALUE, detail),
  tooLong: (field: string, maxLength: number): FieldError =>
    new FieldError('Too long', field, OMIT_VALUE, `may not be more than ${maxLength} bytes`),
  tooMany: (field: string, actual: number, max: number): FieldError =>
    new FieldError('Too many', field, actual, `must have at most ${max} items`),
  notFound: (field: string, value: unknown): FieldError => new FieldError('Not found', field, value, ''),
  unknownField: (field: string): FieldError => new FieldError('Unknown field', field, OMIT_VALUE, ''),
};

/** A field path builder: `path('spec').child('bootstrap').index(0).key('x')`. */
export class FieldPath {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  child(...names: string[]): FieldPath {
    let t = this.text;
    for (const n of names) t = t === '' ? n : `${t}.${n}`;
    return new FieldPath(t);
  }
  index(i: number): FieldPath {
    return new FieldPath(`${this.text}[${i}]`);
  }
  key(k: string): FieldPath {
    return new FieldPath(`${this.text}[${k}]`);
  }
  toString(): string {
    return this.text;
  }
}

export const path = (...names: string[]): FieldPath => new FieldPath('').child(...names);
