// Admission of one object of our kinds, in the API server's order: schema defaults (with null
// fields pruned), the mutating webhook, OpenAPI + CEL validation, then the validating webhook
// (skipped, with upstream's warning, under `cnpg.io/validation: disabled`). The same function serves
// `cnpg validate`, the local API server and the in-reconcile guard.
import { type AdmissionResult, mergeResults } from './admission-result.ts';
import { FieldError, fieldErr } from './field-error.ts';
import { type AdmissionContext, DEFAULT_ADMISSION_CONTEXT, type KindDefinition } from './kind-definition.ts';
import { validateObjectMeta } from './object-meta.ts';
import { applySchemaDefaults, type SchemaNode, validateSchema, validateWithDefaults } from './schema-validate.ts';

export const VALIDATION_ANNOTATION = 'cnpg.io/validation';
const VALIDATION_DISABLED_WARNING =
  'validation webhook is disabled — all changes are accepted without validation. ' +
  'This may lead to unsafe or destructive operations. Proceed with extreme caution.';

export interface Admitted<T = Record<string, unknown>> extends AdmissionResult {
  /** The object as it would be stored: defaulted (undefined when schema checks failed). */
  object?: T;
}

function annotations(obj: unknown): Record<string, unknown> {
  const meta = (obj as { metadata?: { annotations?: unknown } }).metadata;
  const a = meta?.annotations;
  return typeof a === 'object' && a !== null ? (a as Record<string, unknown>) : {};
}

/** Schema defaults then the mutating webhook: what the API server stores for `raw`. */
function defaulted(def: KindDefinition, raw: unknown): unknown {
  const withSchemaDefaults = applySchemaDefaults(def.schema as SchemaNode, raw);
  return def.default ? def.default(withSchemaDefaults) : withSchemaDefaults;
}

/**
 * Admits `raw` (create) or the change from `oldRaw` to `raw` (update).
 * Never throws: a fault in a rule becomes an internal error naming the kind.
 */
export function admit(
  def: KindDefinition,
  raw: unknown,
  oldRaw?: unknown,
  ctx: AdmissionContext = DEFAULT_ADMISSION_CONTEXT,
): Admitted {
  try {
    return admitUnsafe(def, raw, oldRaw, ctx);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      errors: [new FieldError('Internal error', '<root>', undefined, `admitting ${def.kind}: ${message}`)],
      warnings: [],
    };
  }
}

function admitUnsafe(def: KindDefinition, raw: unknown, oldRaw: unknown, ctx: AdmissionContext): Admitted {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { errors: [fieldErr.invalid('<root>', raw, `a ${def.kind} must be an object`)], warnings: [] };
  }
  const metaErrors = validateObjectMeta(raw as Record<string, unknown>, def.scope === 'Namespaced');
  // The API server checks the raw document's shape before anything mutates it.
  const schemaErrors = validateWithDefaults(def.schema as SchemaNode, raw);
  if (metaErrors.length > 0 || schemaErrors.length > 0)
    return { errors: [...metaErrors, ...schemaErrors], warnings: [] };

  const obj = defaulted(def, raw) as Record<string, unknown>;
  const old = oldRaw === undefined ? undefined : (defaulted(def, oldRaw) as Record<string, unknown>);
  const afterDefaults = validateSchema(def.schema as SchemaNode, obj, { old });
  if (afterDefaults.length > 0) return { errors: afterDefaults, warnings: [], object: obj };

  const result = webhook(def, obj, old, ctx);
  return { ...result, object: obj };
}

function webhook(
  def: KindDefinition,
  obj: Record<string, unknown>,
  old: Record<string, unknown> | undefined,
  ctx: AdmissionContext,
): AdmissionResult {
  if (def.validate === undefined && def.validateUpdate === undefined) return { errors: [], warnings: [] };
  const warnings: string[] = [];
  const setting = annotations(obj)[VALIDATION_ANNOTATION];
  if (setting !== undefined && setting !== '' && setting !== 'enabled' && setting !== 'disabled') {
    warnings.push(
      `invalid "${VALIDATION_ANNOTATION}" annotation: ${JSON.stringify(setting)} (expected "enabled" or "disabled")`,
    );
  }
  if (setting === 'disabled') return { errors: [], warnings: [...warnings, VALIDATION_DISABLED_WARNING] };
  const results: AdmissionResult[] = [{ errors: [], warnings }];
  if (def.validate) results.push(def.validate(obj, ctx));
  if (old !== undefined && def.validateUpdate) results.push(def.validateUpdate(obj, old, ctx));
  return mergeResults(...results);
}
