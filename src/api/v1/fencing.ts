// Fencing (upstream's `cnpg.io/fencedInstances` annotation on a Cluster): a JSON list of instance
// names, `*` meaning every instance. The plugin writes it, the operator and the instance managers
// read it.

export const FENCED_INSTANCES_ANNOTATION = 'cnpg.io/fencedInstances';
export const FENCE_ALL = '*';

/** The fenced instance names in the annotation's `value`; undefined when it is not a JSON list. */
export function parseFencedInstances(value: string | undefined): string[] | undefined {
  if (value === undefined || value === '') return [];
  let list: unknown;
  try {
    list = JSON.parse(value);
  } catch {
    return undefined;
  }
  return Array.isArray(list) ? list.filter((n): n is string => typeof n === 'string') : undefined;
}
