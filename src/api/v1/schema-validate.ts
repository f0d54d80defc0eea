// Validates and defaults objects against our structural schemas the way the Kubernetes API server
// does for custom resources: null fields pruned, schema defaults applied to absent fields,
// OpenAPI checks worded as kube-openapi words them, CEL rules (through their TypeScript
// predicates), and strict rejection of fields the schema does not declare (kubectl's default).
import { celChecks } from './schema-kit.ts';
import { type FieldError, fieldErr } from './field-error.ts';

/** The JSON-schema subset our schemas use. */
export interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  pattern?: string;
  format?: string;
  nullable?: boolean;
  default?: unknown;
  anyOf?: SchemaNode[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-embedded-resource'?: boolean;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function jsonType(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

const patternCache = new Map<string, RegExp>();
function regex(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (re === undefined) {
    re = new RegExp(pattern, 'u');
    patternCache.set(pattern, re);
  }
  return re;
}

/** Returns a copy of `value` with null fields pruned and schema defaults applied. */
export function applySchemaDefaults(schema: SchemaNode, value: unknown): unknown {
  if (isObject(value)) {
    if (schema['x-kubernetes-preserve-unknown-fields'] && schema.properties === undefined) return value;
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) {
      const child = propertySchema(schema, k);
      if (v === null && !(child?.nullable ?? false)) continue;
      out[k] = child === undefined ? v : applySchemaDefaults(child, v);
    }
    for (const [k, child] of Object.entries(schema.properties ?? {})) {
      if (out[k] === undefined && child.default !== undefined) {
        out[k] = applySchemaDefaults(child, structuredClone(child.default));
      }
    }
    return out;
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    const items = schema.items;
    return value.map((v) => applySchemaDefaults(items, v));
  }
  return value;
}

function propertySchema(schema: SchemaNode, key: string): SchemaNode | undefined {
  const p = schema.properties?.[key];
  if (p !== undefined) return p;
  return typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
}

export interface SchemaCheckOptions {
  /** The previous object on update, for CEL transition rules. */
  old?: unknown;
  /** Whether to evaluate the CEL rules (default true); off gives the plain OpenAPI verdict. */
  cel?: boolean;
}

/** Checks `value` (the root object) against `schema`. */
export function validateSchema(schema: SchemaNode, value: unknown, opts: SchemaCheckOptions = {}): FieldError[] {
  const errors: FieldError[] = [];
  walk(schema, value, opts.old, '', errors, opts.cel ?? true);
  return errors;
}

const child = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);

function walk(
  schema: SchemaNode,
  value: unknown,
  old: unknown,
  path: string,
  errors: FieldError[],
  cel: boolean,
): void {
  const before = errors.length;
  // A null field is pruned by the API server (or allowed, when nullable): nothing to check.
  if (value === null || value === undefined) return;
  if (!checkType(schema, value, path, errors)) return;
  checkValue(schema, value, path, errors);
  if (isObject(value)) walkObject(schema, value, isObject(old) ? old : undefined, path, errors, cel);
  else if (Array.isArray(value)) walkArray(schema, value, Array.isArray(old) ? old : undefined, path, errors, cel);
  // CEL rules see a subtree that passed the OpenAPI checks, as in the API server.
  if (cel && errors.length === before) runCel(schema, value, old, path, errors);
}

function checkType(schema: SchemaNode, value: unknown, path: string, errors: FieldError[]): boolean {
  const actual = jsonType(value);
  if (schema['x-kubernetes-int-or-string']) {
    if (actual === 'integer' || actual === 'string') return true;
    errors.push(fieldErr.invalid(path, actual, `${path} in body must be of type integer,string: "${actual}"`));
    return false;
  }
  const expected = schema.type;
  if (expected === undefined) return true;
  const ok = expected === actual || (expected === 'number' && actual === 'integer');
  if (!ok) errors.push(fieldErr.invalid(path, actual, `${path} in body must be of type ${expected}: "${actual}"`));
  return ok;
}

function checkValue(schema: SchemaNode, value: unknown, path: string, errors: FieldError[]): void {
  if (schema.enum !== undefined && !schema.enum.includes(value)) {
    errors.push(fieldErr.notSupported(path, value, schema.enum.map(String)));
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined) {
      if (schema.exclusiveMinimum === true ? value <= schema.minimum : value < schema.minimum) {
        const op = schema.exclusiveMinimum === true ? 'greater than' : 'greater than or equal to';
        errors.push(fieldErr.invalid(path, value, `${path} in body should be ${op} ${schema.minimum}`));
      }
    }
    if (schema.maximum !== undefined) {
      if (schema.exclusiveMaximum === true ? value >= schema.maximum : value > schema.maximum) {
        const op = schema.exclusiveMaximum === true ? 'less than' : 'less than or equal to';
        errors.push(fieldErr.invalid(path, value, `${path} in body should be ${op} ${schema.maximum}`));
      }
    }
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength) {
      errors.push(fieldErr.invalid(path, value, `${path} in body should be at least ${schema.minLength} chars long`));
    }
    if (schema.maxLength !== undefined && length > schema.maxLength) {
      errors.push(fieldErr.tooLong(path, schema.maxLength));
    }
    if (schema.pattern !== undefined && !regex(schema.pattern).test(value)) {
      errors.push(fieldErr.invalid(path, value, `${path} in body should match '${schema.pattern}'`));
    }
    if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) {
      errors.push(fieldErr.invalid(path, value, `${path} in body must be of type date-time: "${value}"`));
    }
    if (schema.format === 'byte' && !/^[A-Za-z0-9+/]*={0,2}$/.test(value.replace(/\s/g, ''))) {
      errors.push(fieldErr.invalid(path, value, `${path} in body must be of type byte: "${value}"`));
    }
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) {
      errors.push(
        fieldErr.invalid(path, value.length, `${path} in body should have at least ${schema.minItems} items`),
      );
    }
    if (schema.maxItems !== undefined && value.length > schema.maxItems) {
      errors.push(fieldErr.tooMany(path, value.length, schema.maxItems));
    }
  }
  if (isObject(value)) {
    const n = Object.keys(value).length;
    if (schema.minProperties !== undefined && n < schema.minProperties) {
      errors.push(fieldErr.invalid(path, n, `${path} in body should have at least ${schema.minProperties} properties`));
    }
    if (schema.maxProperties !== undefined && n > schema.maxProperties) {
      errors.push(fieldErr.tooMany(path, n, schema.maxProperties));
    }
  }
}

function walkObject(
  schema: SchemaNode,
  value: Json,
  old: Json | undefined,
  path: string,
  errors: FieldError[],
  cel: boolean,
) {
  for (const name of schema.required ?? []) {
    if (value[name] === undefined || value[name] === null) errors.push(fieldErr.required(child(path, name)));
  }
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  for (const [key, v] of Object.entries(value)) {
    const p = schema.properties?.[key];
    const sub = p ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (sub !== undefined) {
      walk(sub, v, old?.[key], child(path, key), errors, cel);
    } else if (!preserve && schema.properties !== undefined && schema.additionalProperties !== true) {
      // Declared properties and no others: kubectl's strict field validation rejects the rest.
      // (An object declared without properties, like metadata at the root, takes anything.)
      errors.push(fieldErr.unknownField(child(path, key)));
    }
  }
}

function walkArray(
  schema: SchemaNode,
  value: unknown[],
  old: unknown[] | undefined,
  path: string,
  errors: FieldError[],
  cel: boolean,
) {
  const items = schema.items;
  const listType = schema['x-kubernetes-list-type'];
  const keys = schema['x-kubernetes-list-map-keys'] ?? [];
  const keyOf = (item: unknown) => JSON.stringify(keys.map((k) => (isObject(item) ? item[k] : undefined)));
  const seen = new Set<string>();
  value.forEach((item, i) => {
    const itemPath = `${path}[${i}]`;
    if (items !== undefined) {
      // Only map lists correlate items with the old list (by key), as the API server does.
      const oldItem = listType === 'map' ? old?.find((o) => keyOf(o) === keyOf(item)) : undefined;
      walk(items, item, oldItem, itemPath, errors, cel);
    }
    if (listType === 'map' || listType === 'set') {
      const id = listType === 'map' ? keyOf(item) : JSON.stringify(item);
      if (seen.has(id)) {
        const dup = listType === 'map' && isObject(item) ? Object.fromEntries(keys.map((k) => [k, item[k]])) : item;
        errors.push(fieldErr.duplicate(itemPath, dup));
      }
      seen.add(id);
    }
  });
}

function runCel(schema: SchemaNode, value: unknown, old: unknown, path: string, errors: FieldError[]): void {
  for (const rule of celChecks(schema)) {
    if (rule.transition && (old === undefined || old === null)) continue;
    let ok: boolean;
    try {
      ok = rule.check(value, old ?? undefined);
    } catch {
      ok = false;
    }
    if (ok) continue;
    const at = rule.fieldPath === undefined ? path : `${path}${rule.fieldPath}`;
    const shown = isObject(value) ? 'object' : Array.isArray(value) ? 'array' : value;
    errors.push(fieldErr.invalid(at, shown, rule.message));
  }
}

/** The API server's verdict on a manifest: schema defaults applied (to the old version too), then checked. */
export function validateWithDefaults(schema: SchemaNode, value: unknown, old?: unknown): FieldError[] {
  const previous = old === undefined ? undefined : applySchemaDefaults(schema, old);
  return validateSchema(schema, applySchemaDefaults(schema, value), { old: previous });
}
