// Admission of custom resources, as the API server and our webhooks do it: unknown fields pruned
// (and reported per `fieldValidation`), then for postgresql.cnpg.io the full admission of our kinds
// (defaults, schema, CEL, webhooks), and for any other CRD its schema defaults and validation.
import { admit } from '../../api/v1/admission.ts';
import type { FieldError } from '../../api/v1/field-error.ts';
import { applySchemaDefaults, type SchemaNode, validateSchema } from '../../api/v1/schema-validate.ts';
import { ApiError, apiErrors } from './errors.ts';
import type { ResourceType } from './resources.ts';
import type { Json, KubeObject } from './storage.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every object's root takes apiVersion, kind and metadata, whatever its schema says. */
function rootSchema(schema: SchemaNode): SchemaNode {
  return {
    ...schema,
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      ...(schema.properties ?? {}),
    },
  };
}

/** Drops the fields `schema` does not declare, collecting their paths as the API server names them. */
export function pruneUnknown(schema: SchemaNode, value: unknown, path = '', unknown: string[] = []): unknown {
  if (isObject(value)) {
    const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
    const additional = schema.additionalProperties;
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) {
      const at = path === '' ? k : `${path}.${k}`;
      const declared = schema.properties?.[k] ?? (isObject(additional) ? (additional as SchemaNode) : undefined);
      if (declared !== undefined) out[k] = pruneUnknown(declared, v, at, unknown);
      else if (preserve || additional === true || schema.properties === undefined) out[k] = v;
      else unknown.push(at);
    }
    return out;
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    const items = schema.items;
    return value.map((v, i) => pruneUnknown(items, v, `${path}[${i}]`, unknown));
  }
  return value;
}

export interface CustomAdmission {
  object: KubeObject;
  warnings: string[];
}

export function admitCustom(
  rt: ResourceType,
  raw: KubeObject,
  old: KubeObject | undefined,
  fieldValidation: FieldValidation,
  /** Whether the schema carries our CEL predicates (our kinds' schemas, not a CRD's JSON). */
  cel: boolean,
): CustomAdmission {
  const schema = rt.custom?.cnpg?.schema ?? rt.custom?.schema;
  if (schema === undefined) return { object: raw, warnings: [] };
  const unknown: string[] = [];
  const pruned = pruneUnknown(rootSchema(schema as SchemaNode), raw, '', unknown) as KubeObject;
  const warnings: string[] = [];
  if (unknown.length > 0 && fieldValidation === 'Strict') {
    throw apiErrors.badRequest(`strict decoding error: ${unknown.map((u) => `unknown field "${u}"`).join(', ')}`);
  }
  if (fieldValidation === 'Warn') warnings.push(...unknown.map((u) => `unknown field "${u}"`));
  const fail = (errors: FieldError[]): never => {
    throw apiErrors.invalid(rt, raw.metadata.name, errors);
  };

  const def = rt.custom?.cnpg;
  if (def !== undefined) {
    const result = admit(def, pruned, old);
    if (result.errors.length > 0) fail(result.errors);
    if (result.object === undefined) throw new ApiError(500, 'InternalError', `admitting ${rt.kind}: no object`);
    return { object: result.object as KubeObject, warnings: [...warnings, ...result.warnings] };
  }
  const root = rootSchema(schema as SchemaNode);
  const defaulted = applySchemaDefaults(root, pruned) as KubeObject;
  const errors = validateSchema(root, defaulted, { old, cel });
  if (errors.length > 0) fail(errors);
  return { object: defaulted, warnings };
}
