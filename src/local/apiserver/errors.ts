// API errors as the Kubernetes API server returns them: an HTTP code and a `Status` object whose
// reason and message read like upstream's, so clients (kubectl, client-node) react the same way.
import type { FieldError } from '../../api/v1/field-error.ts';

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;

  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): Record<string, unknown> {
    return statusObject('Failure', this.code, this.reason, this.message, this.details);
  }
}

export function statusObject(
  status: 'Success' | 'Failure',
  code: number,
  reason: string,
  message: string,
  details?: StatusDetails,
): Record<string, unknown> {
  const out: Record<string, unknown> = { kind: 'Status', apiVersion: 'v1', metadata: {}, status, code };
  if (message !== '') out.message = message;
  if (reason !== '') out.reason = reason;
  if (details !== undefined) out.details = details;
  return out;
}

/** What a resource is called in messages: `pods`, `deployments.apps`, `clusters.postgresql.cnpg.io`. */
export interface ResourceName {
  group: string;
  plural: string;
  kind: string;
}

export const qualifiedResource = (r: ResourceName) => (r.group === '' ? r.plural : `${r.plural}.${r.group}`);
const qualifiedKind = (r: ResourceName) => (r.group === '' ? r.kind : `${r.kind}.${r.group}`);

/** apimachinery's CauseType for each field.ErrorType. */
const CAUSE_TYPES: Record<string, string> = {
  'Invalid value': 'FieldValueInvalid',
  'Required value': 'FieldValueRequired',
  'Duplicate value': 'FieldValueDuplicate',
  'Unsupported value': 'FieldValueNotSupported',
  Forbidden: 'FieldValueForbidden',
  'Too long': 'FieldValueTooLong',
  'Too many': 'FieldValueTooMany',
  'Not found': 'FieldValueNotFound',
  'Internal error': 'InternalError',
  'Unknown field': 'FieldValueInvalid',
};

export const apiErrors = {
  notFound: (r: ResourceName, name: string) =>
    new ApiError(404, 'NotFound', `${qualifiedResource(r)} "${name}" not found`, {
      name,
      group: r.group,
      kind: r.plural,
    }),
  alreadyExists: (r: ResourceName, name: string) =>
    new ApiError(409, 'AlreadyExists', `${qualifiedResource(r)} "${name}" already exists`, {
      name,
      group: r.group,
      kind: r.plural,
    }),
  conflict: (
    r: ResourceName,
    name: string,
    why = 'the object has been modified; please apply your changes to the latest version and try again',
  ) =>
    new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(r)} "${name}": ${why}`, {
      name,
      group: r.group,
      kind: r.plural,
    }),
  invalid: (r: ResourceName, name: string, errors: FieldError[]) => {
    const list = errors.map(String);
    const body = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
    return new ApiError(422, 'Invalid', `${qualifiedKind(r)} "${name}" is invalid: ${body}`, {
      name,
      group: r.group,
      kind: r.kind,
      causes: errors.map((e) => ({
        reason: CAUSE_TYPES[e.type] ?? 'FieldValueInvalid',
        message: e.type === 'Unknown field' ? String(e) : e.body(),
        field: e.field,
      })),
    });
  },
  badRequest: (message: string) => new ApiError(400, 'BadRequest', message),
  forbidden: (message: string, details?: StatusDetails) => new ApiError(403, 'Forbidden', message, details),
  unauthorized: () => new ApiError(401, 'Unauthorized', 'Unauthorized'),
  gone: (message: string) => new ApiError(410, 'Expired', message),
  methodNotAllowed: (method: string) =>
    new ApiError(
      405,
      'MethodNotAllowed',
      `the server does not allow this method on the requested resource (${method})`,
    ),
  unsupportedMediaType: (type: string) =>
    new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got ${type})`,
    ),
  pathNotFound: () => new ApiError(404, 'NotFound', 'the server could not find the requested resource'),
  internal: (message: string) => new ApiError(500, 'InternalError', `Internal error occurred: ${message}`),
};
