// The Database validating webhook: unique names for extensions, schemas, FDWs and foreign servers,
// unique option and usage names inside each FDW and server, and servers naming a declared FDW.
import type { AdmissionResult } from './admission-result.ts';
import type { Database, OptionSpec, UsageSpec } from './database-types.ts';
import { type FieldError, type FieldPath, fieldErr, path } from './field-error.ts';

/** A Duplicate error for every name already seen earlier in the list. */
function duplicateNames(list: readonly { name: string }[] | undefined, at: FieldPath): FieldError[] {
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  (list ?? []).forEach((item, i) => {
    if (seen.has(item.name)) errors.push(fieldErr.duplicate(at.index(i).child('name').text, item.name));
    seen.add(item.name);
  });
  return errors;
}

/** The name against its siblings, then its options and usages (reported as `usages`, as upstream). */
function nameOptionsUsages(
  item: { name: string; options?: OptionSpec[]; usage?: UsageSpec[] },
  itemPath: FieldPath,
  seenNames: Set<string>,
): FieldError[] {
  const errors: FieldError[] = [];
  if (seenNames.has(item.name)) errors.push(fieldErr.duplicate(itemPath.child('name').text, item.name));
  seenNames.add(item.name);
  errors.push(...duplicateNames(item.options, itemPath.child('options')));
  errors.push(...duplicateNames(item.usage, itemPath.child('usages')));
  return errors;
}

export function validateDatabase(obj: Database): AdmissionResult {
  const spec = obj.spec;
  const errors: FieldError[] = [
    ...duplicateNames(spec.extensions, path('spec', 'extensions')),
    ...duplicateNames(spec.schemas, path('spec', 'schemas')),
  ];

  const fdwNames = new Set<string>();
  (spec.fdws ?? []).forEach((fdw, i) => {
    errors.push(...nameOptionsUsages(fdw, path('spec', 'fdws').index(i), fdwNames));
  });

  const declaredFdws = new Set((spec.fdws ?? []).map((f) => f.name));
  const serverNames = new Set<string>();
  (spec.servers ?? []).forEach((server, i) => {
    const itemPath = path('spec', 'servers').index(i);
    if ((server.ensure ?? 'present') !== 'absent' && !declaredFdws.has(server.fdw)) {
      errors.push(fieldErr.invalid(itemPath.child('fdw').text, server.fdw, 'referenced fdw not defined in spec.fdws'));
    }
    errors.push(...nameOptionsUsages(server, itemPath, serverNames));
  });
  return { errors, warnings: [] };
}
