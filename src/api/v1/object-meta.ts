// The API server's checks of metadata on create, for the parts a manifest author controls.
import { type FieldError, fieldErr } from './field-error.ts';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', " +
  "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is " +
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and " +
  "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is " +
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkStringMap(meta: Record<string, unknown>, field: 'labels' | 'annotations', errors: FieldError[]) {
  const m = meta[field];
  if (m === undefined || m === null) return;
  if (!isObject(m)) {
    errors.push(fieldErr.invalid(`metadata.${field}`, m, `metadata.${field} in body must be of type object`));
    return;
  }
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== 'string') {
      errors.push(
        fieldErr.invalid(`metadata.${field}.${k}`, v, `metadata.${field}.${k} in body must be of type string`),
      );
    }
  }
}

export function validateObjectMeta(obj: Record<string, unknown>, namespaced: boolean): FieldError[] {
  const errors: FieldError[] = [];
  const meta = obj.metadata;
  if (!isObject(meta)) {
    errors.push(fieldErr.required('metadata.name', 'name or generateName is required'));
    return errors;
  }
  const { name, generateName, namespace } = meta;
  if ((name === undefined || name === '') && (generateName === undefined || generateName === '')) {
    errors.push(fieldErr.required('metadata.name', 'name or generateName is required'));
  } else if (name !== undefined && (typeof name !== 'string' || name.length > 253 || !DNS1123_SUBDOMAIN.test(name))) {
    errors.push(fieldErr.invalid('metadata.name', name, SUBDOMAIN_MESSAGE));
  }
  // A cluster-scoped object's namespace is ignored, as kubectl does.
  if (namespaced && namespace !== undefined && namespace !== null) {
    if (typeof namespace !== 'string' || namespace.length > 63 || !DNS1123_LABEL.test(namespace)) {
      errors.push(fieldErr.invalid('metadata.namespace', namespace, LABEL_MESSAGE));
    }
  }
  checkStringMap(meta, 'labels', errors);
  checkStringMap(meta, 'annotations', errors);
  return errors;
}
