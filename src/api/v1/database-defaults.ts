// Defaulting of a Database (the mutating webhook): the values the schema defaults, filled in so
// that a Database built in code reads like one the API server stored.
import type { Database, OptionSpec, UsageSpec } from './database-types.ts';

const fill = (item: { ensure?: 'present' | 'absent' }) => {
  item.ensure ??= 'present';
};
const fillOptionsUsages = (item: { options?: OptionSpec[]; usage?: UsageSpec[] }) => {
  for (const option of item.options ?? []) fill(option);
  for (const usage of item.usage ?? []) usage.type ??= 'grant';
};

export function defaultDatabase(obj: Database): Database {
  const out = structuredClone(obj);
  const spec = out.spec;
  fill(spec);
  spec.databaseReclaimPolicy ??= 'retain';
  for (const item of [...(spec.schemas ?? []), ...(spec.extensions ?? [])]) fill(item);
  for (const item of [...(spec.fdws ?? []), ...(spec.servers ?? [])]) {
    fill(item);
    fillOptionsUsages(item);
  }
  return out;
}
