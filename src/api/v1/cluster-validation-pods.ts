// Cluster admission rules about the instance pods (upstream internal/webhook/v1/cluster_webhook.go):
// update strategy, legacy synchronous replica counts, tolerations, anti-affinity, environment,
// resources, the hibernation / podPatch / livenessPinger annotations, plugins, service account,
// primary lease, the immutable postgres UID/GID and the monitoring warnings. Messages and field
// paths are upstream's, quirks included (`spec.affinity.toleration`, `spec.postgresql.env`).
import type { V1LabelSelector } from '@kubernetes/client-node';
import { LIVENESS_PINGER_ANNOTATION, livenessPingerConfigFromAnnotations } from './cluster-defaults.ts';
import { applyJsonPatch } from '../json-patch.ts';
import type { Cluster } from './cluster-types.ts';
import { annotationOf } from './cluster-validation-postgres.ts';
import { type FieldError, type FieldPath, fieldErr, path } from './field-error.ts';
import { parsePostgresMemory } from './postgres-parameters.ts';
import { canonicalQuantity, parseQuantityExact } from './quantity.ts';

export const HIBERNATION_ANNOTATION = 'cnpg.io/hibernation';
export const POD_PATCH_ANNOTATION = 'cnpg.io/podPatch';

// ---------------------------------------------------------------------------------------------
// Kubernetes name and label validation (apimachinery util/validation), with its messages.

const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const QUALIFIED_NAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must " +
  'start and end with an alphanumeric character';
const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must " +
  'start and end with an alphanumeric character';

/** apimachinery's RegexError text: message, examples, and the regex used. */
function regexError(message: string, fmt: string, ...examples: string[]): string {
  const shown = examples.map((e) => `'${e}', `).join(' or ');
  return `${message} (e.g. ${shown}regex used for validation is '${fmt}')`;
}

/** The messages of apimachinery's IsQualifiedName (label keys, annotation keys). */
export function qualifiedNameErrors(value: string): string[] {
  const parts = value.split('/');
  let name: string;
  const errors: string[] = [];
  if (parts.length === 1) {
    name = parts[0] ?? '';
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) {
      errors.push('prefix part must be non-empty');
    } else if (prefix.length > 253) {
      errors.push('prefix part must be no more than 253 characters');
    } else if (!DNS1123_SUBDOMAIN.test(prefix)) {
      errors.push(`prefix part ${regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com')}`);
    }
  } else {
    return [
      `a qualified name ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')} ` +
        "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) {
    errors.push('name part must be non-empty');
  } else if (name.length > 63) {
    errors.push('name part must be no more than 63 characters');
  }
  if (!QUALIFIED_NAME.test(name)) {
    errors.push(`name part ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`);
  }
  return errors;
}

/** The messages of apimachinery's IsValidLabelValue. */
export function labelValueErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 63) errors.push('must be no more than 63 characters');
  if (!new RegExp(`^${LABEL_VALUE_FMT}$`).test(value)) {
    errors.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  }
  return errors;
}

/** metav1validation.ValidateLabelName. */
export function validateLabelName(name: string, field: FieldPath): FieldError[] {
  return qualifiedNameErrors(name).map((msg) => fieldErr.invalid(field.text, name, msg));
}

/** metav1validation.ValidateLabelSelector with default options. */
export function validateLabelSelector(selector: V1LabelSelector | undefined, field: FieldPath): FieldError[] {
  if (selector === undefined) return [];
  const errors: FieldError[] = [];
  (selector.matchExpressions ?? []).forEach((req, i) => {
    const reqPath = field.child('matchExpressions').index(i);
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) {
          errors.push(
            fieldErr.required(reqPath.child('values').text, "must be specified when `operator` is 'In' or 'NotIn'"),
          );
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) {
          errors.push(
            fieldErr.forbidden(
              reqPath.child('values').text,
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        }
        break;
      default:
        errors.push(fieldErr.invalid(reqPath.child('operator').text, req.operator, 'not a valid selector operator'));
    }
    errors.push(...validateLabelName(req.key, reqPath.child('key')));
    values.forEach((value, j) => {
      for (const msg of labelValueErrors(value)) {
        errors.push(fieldErr.invalid(reqPath.child('values').index(j).text, value, msg));
      }
    });
  });
  const labelsPath = field.child('matchLabels');
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    errors.push(...validateLabelName(key, labelsPath));
    for (const msg of labelValueErrors(value)) errors.push(fieldErr.invalid(labelsPath.text, value, msg));
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Update strategy and legacy synchronous replicas (rules 18-20)

export function validatePrimaryUpdateStrategy(cluster: Cluster): FieldError[] {
  const strategy: string | undefined = cluster.spec.primaryUpdateStrategy;
  if (!strategy) return [];
  const field = path('spec', 'primaryUpdateStrategy').text;
  if (strategy !== 'supervised' && strategy !== 'unsupervised') {
    return [fieldErr.invalid(field, strategy, "primaryUpdateStrategy should be empty, 'supervised' or 'unsupervised'")];
  }
  if (strategy === 'supervised' && cluster.spec.instances === 1) {
    return [
      fieldErr.invalid(
        field,
        strategy,
        'supervised update strategy is not allowed for clusters with a single instance',
      ),
    ];
  }
  return [];
}

export function validateMinSyncReplicas(cluster: Cluster): FieldError[] {
  const min = cluster.spec.minSyncReplicas ?? 0;
  const field = path('spec', 'minSyncReplicas').text;
  const errors: FieldError[] = [];
  if (min < 0) errors.push(fieldErr.invalid(field, min, 'minSyncReplicas must be a non negative integer'));
  if (min > (cluster.spec.maxSyncReplicas ?? 0)) {
    errors.push(fieldErr.invalid(field, min, 'minSyncReplicas cannot be greater than maxSyncReplicas'));
  }
  return errors;
}

export function validateMaxSyncReplicas(cluster: Cluster): FieldError[] {
  const max = cluster.spec.maxSyncReplicas ?? 0;
  const field = path('spec', 'maxSyncReplicas').text;
  const errors: FieldError[] = [];
  if (max < 0) errors.push(fieldErr.invalid(field, max, 'maxSyncReplicas must be a non negative integer'));
  if (max >= cluster.spec.instances) {
    errors.push(fieldErr.invalid(field, max, 'maxSyncReplicas must be lower than the number of instances'));
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Scheduling (rules 32, 33)

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** Kubernetes' toleration rules, on upstream's (singular) `spec.affinity.toleration` path. */
export function validateTolerations(cluster: Cluster): FieldError[] {
  const errors: FieldError[] = [];
  (cluster.spec.affinity?.tolerations ?? []).forEach((toleration, i) => {
    const at = path('spec', 'affinity', 'toleration').index(i);
    const key = toleration.key ?? '';
    const operator = toleration.operator ?? '';
    const value = toleration.value ?? '';
    const effect = toleration.effect ?? '';
    if (key.length > 0) errors.push(...validateLabelName(key, at.child('key')));
    // An empty key with Exists (and no value) tolerates every taint.
    if (key.length === 0 && operator !== 'Exists') {
      errors.push(
        fieldErr.invalid(
          at.child('operator').text,
          operator,
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    if (toleration.tolerationSeconds !== undefined && effect !== 'NoExecute') {
      errors.push(
        fieldErr.invalid(at.child('effect').text, effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"),
      );
    }
    switch (operator) {
      case 'Equal':
      case '': {
        const messages = labelValueErrors(value);
        if (messages.length > 0) errors.push(fieldErr.invalid(at.child('operator').text, value, messages.join(';')));
        break;
      }
      case 'Exists':
        if (value.length > 0) {
          errors.push(
            fieldErr.invalid(at.child('operator').text, toleration, "value must be empty when `operator` is 'Exists'"),
          );
        }
        break;
      default:
        errors.push(fieldErr.notSupported(at.child('operator').text, operator, ['Equal', 'Exists']));
    }
    if (effect.length > 0 && !TAINT_EFFECTS.includes(effect)) {
      errors.push(fieldErr.notSupported(at.child('effect').text, effect, TAINT_EFFECTS));
    }
  });
  return errors;
}

export function validateAntiAffinity(cluster: Cluster): FieldError[] {
  const type = cluster.spec.affinity?.podAntiAffinityType ?? '';
  if (type === '' || type === 'preferred' || type === 'required') return [];
  return [
    fieldErr.invalid(
      path('spec', 'affinity', 'podAntiAffinityType').text,
      type,
      "pod anti-affinity type must be 'preferred' (default if empty) or 'required'",
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// Environment (rule 56)

/** Names the operator sets in the postgres container (case-insensitive). */
export function isReservedEnvironmentVariable(name: string): boolean {
  const upper = name.toUpperCase();
  return (
    upper.startsWith('CNPG_') ||
    upper.startsWith('PG') ||
    upper === 'POD_NAME' ||
    upper === 'NAMESPACE' ||
    upper === 'CLUSTER_NAME'
  );
}

export function validateEnv(cluster: Cluster): FieldError[] {
  const errors: FieldError[] = [];
  (cluster.spec.env ?? []).forEach((env, i) => {
    if (isReservedEnvironmentVariable(env.name)) {
      // Upstream reports it under spec.postgresql.env.
      errors.push(
        fieldErr.invalid(
          path('spec', 'postgresql', 'env').index(i).child('name').text,
          env.name,
          'the usage of this environment variable is reserved for the operator',
        ),
      );
    }
  });
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Resources (rules 61, 62)

interface ParsedQuantity {
  nanos: bigint;
  text: string;
}

/** A resource quantity as apimachinery holds it: absent or unparsable reads as zero. */
function resourceQuantity(list: Record<string, string> | undefined, name: string): ParsedQuantity {
  const raw: string | number | undefined = list?.[name];
  if (raw === undefined) return { nanos: 0n, text: '0' };
  try {
    return { nanos: parseQuantityExact(raw).nanos, text: canonicalQuantity(raw) };
  } catch {
    return { nanos: 0n, text: '0' };
  }
}

const HUGEPAGES_PREFIX = 'hugepages-';

export function validateResources(cluster: Cluster): FieldError[] {
  const errors: FieldError[] = [];
  const requests = cluster.spec.resources?.requests;
  const limits = cluster.spec.resources?.limits;
  const requestsPath = path('spec', 'resources', 'requests');

  const cpuRequest = resourceQuantity(requests, 'cpu');
  const cpuLimit = resourceQuantity(limits, 'cpu');
  if (cpuRequest.nanos !== 0n && cpuLimit.nanos !== 0n && cpuRequest.nanos > cpuLimit.nanos) {
    errors.push(
      fieldErr.invalid(requestsPath.child('cpu').text, cpuRequest.text, 'CPU request is greater than the limit'),
    );
  }
  const memoryRequest = resourceQuantity(requests, 'memory');
  const memoryLimit = resourceQuantity(limits, 'memory');
  if (memoryRequest.nanos !== 0n && memoryLimit.nanos !== 0n && memoryRequest.nanos > memoryLimit.nanos) {
    errors.push(
      fieldErr.invalid(
        requestsPath.child('memory').text,
        memoryRequest.text,
        'Memory request is greater than the limit',
      ),
    );
  }

  // Hugepages: a request must equal its limit; a limit alone implies the request.
  const hugePages = new Map<string, ParsedQuantity>();
  for (const name of Object.keys(limits ?? {})) {
    if (name.startsWith(HUGEPAGES_PREFIX)) hugePages.set(name, resourceQuantity(limits, name));
  }
  for (const name of Object.keys(requests ?? {})) {
    if (!name.startsWith(HUGEPAGES_PREFIX)) continue;
    const request = resourceQuantity(requests, name);
    const limit = hugePages.get(name);
    if (limit === undefined) {
      hugePages.set(name, request);
    } else if (limit.nanos !== request.nanos) {
      errors.push(
        fieldErr.invalid(requestsPath.child(name).text, request.text, 'HugePages requests must equal the limits'),
      );
    }
  }
  const noCpuOrMemory = [cpuRequest, cpuLimit, memoryRequest, memoryLimit].every((q) => q.nanos === 0n);
  if (noCpuOrMemory && hugePages.size > 0) {
    errors.push(fieldErr.forbidden(path('spec', 'resources').text, 'HugePages require cpu or memory'));
  }

  const sharedBuffers = cluster.spec.postgresql?.parameters?.shared_buffers;
  if (sharedBuffers) {
    let bytes: number | undefined;
    try {
      bytes = parsePostgresMemory(sharedBuffers);
    } catch {
      // An unparsable value is reported by validateConfiguration.
    }
    if (bytes !== undefined && !hasEnoughMemoryForSharedBuffers(bytes, memoryRequest, hugePages)) {
      errors.push(
        fieldErr.invalid(
          requestsPath.text,
          memoryRequest.text,
          'Memory request is lower than PostgreSQL `shared_buffers` value',
        ),
      );
    }
  }

  const ephemeralRequest = resourceQuantity(requests, 'ephemeral-storage');
  const ephemeralLimit = resourceQuantity(limits, 'ephemeral-storage');
  if (ephemeralRequest.nanos !== 0n && ephemeralLimit.nanos !== 0n && ephemeralRequest.nanos > ephemeralLimit.nanos) {
    errors.push(
      fieldErr.invalid(
        requestsPath.child('storage').text,
        ephemeralRequest.text,
        'Ephemeral storage request is greater than the limit',
      ),
    );
  }
  return errors;
}

/** No memory request, a request covering shared_buffers, or one hugepages size covering it. */
function hasEnoughMemoryForSharedBuffers(
  sharedBuffersBytes: number,
  memoryRequest: ParsedQuantity,
  hugePages: ReadonlyMap<string, ParsedQuantity>,
): boolean {
  const bytes = (q: ParsedQuantity) => Number(q.nanos) / 1e9;
  if (memoryRequest.nanos === 0n || sharedBuffersBytes <= bytes(memoryRequest)) return true;
  return [...hugePages.values()].some((q) => sharedBuffersBytes <= bytes(q));
}

// ---------------------------------------------------------------------------------------------
// Annotations (rules 63, 64, 67)

export function validateHibernationAnnotation(cluster: Cluster): FieldError[] {
  const value = annotationOf(cluster, HIBERNATION_ANNOTATION);
  if (value === undefined || value === 'on' || value === 'off') return [];
  return [
    fieldErr.invalid(
      path('metadata', 'annotations', HIBERNATION_ANNOTATION).text,
      value,
      'Annotation value for hibernation should be "on" or "off"',
    ),
  ];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Go's encoding/json wording for the commonest syntax error: a value that cannot start. */
function jsonParse(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    const first = text.trimStart()[0];
    if (first !== undefined && !'{["-0123456789tfn'.includes(first)) {
      throw new Error(`invalid character '${first}' looking for beginning of value`);
    }
    if (first === undefined) throw new Error('unexpected end of JSON input');
    throw new Error((err as Error).message);
  }
}

const isObject = (v: Json | undefined): v is { [key: string]: Json } =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Stands in for the instance Pod upstream builds to check the patch (we have no pod builder in
 * the API layer): the fields every generated pod carries, so patches on them apply as upstream.
 */
function podSkeleton(cluster: Cluster): Json {
  const name = `${cluster.metadata?.name ?? 'cluster'}-1`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: cluster.metadata?.namespace ?? 'default', labels: {}, annotations: {} },
    spec: {
      hostname: name,
      subdomain: cluster.metadata?.name ?? 'cluster',
      serviceAccountName: cluster.spec.serviceAccountName ?? cluster.metadata?.name ?? 'cluster',
      initContainers: [{ name: 'bootstrap-controller', volumeMounts: [], securityContext: {} }],
      containers: [
        {
          name: 'postgres',
          image: cluster.spec.imageName ?? '',
          env: [],
          ports: [],
          volumeMounts: [],
          resources: {},
          securityContext: {},
        },
      ],
      volumes: [],
      securityContext: {},
      affinity: {},
      tolerations: [],
      nodeSelector: {},
      topologySpreadConstraints: [],
    },
  };
}

export function validatePodPatchAnnotation(cluster: Cluster): FieldError[] {
  const patch = annotationOf(cluster, POD_PATCH_ANNOTATION);
  if (patch === undefined) return [];
  const field = path('metadata', 'annotations', POD_PATCH_ANNOTATION).text;
  let decoded: Json;
  try {
    decoded = jsonParse(patch);
    if (!Array.isArray(decoded)) throw new Error('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    if (decoded.some((op) => !isObject(op))) {
      throw new Error('json: cannot unmarshal value into Go value of type jsonpatch.Operation');
    }
  } catch (err) {
    return [fieldErr.invalid(field, patch, `error decoding JSON patch: ${(err as Error).message}`)];
  }
  try {
    applyJsonPatch(podSkeleton(cluster), decoded);
  } catch (err) {
    return [fieldErr.invalid(field, patch, `jsonpatch doesn't apply cleanly to the pod: ${(err as Error).message}`)];
  }
  return [];
}

export function validateLivenessPingerProbe(cluster: Cluster): FieldError[] {
  const value = annotationOf(cluster, LIVENESS_PINGER_ANNOTATION);
  if (value === undefined) return [];
  try {
    livenessPingerConfigFromAnnotations(cluster.metadata?.annotations);
    return [];
  } catch (err) {
    return [
      fieldErr.invalid(
        path('metadata', 'annotations', LIVENESS_PINGER_ANNOTATION).text,
        value,
        `error decoding liveness pinger config: ${(err as Error).message}`,
      ),
    ];
  }
}

// ---------------------------------------------------------------------------------------------
// Plugins (rule 66)

export function validatePluginConfiguration(cluster: Cluster): FieldError[] {
  const plugins = cluster.spec.plugins ?? [];
  if (plugins.length === 0) return [];
  const walArchivers = plugins.filter((p) => (p.enabled ?? true) && p.isWALArchiver === true).map((p) => p.name);
  const field = path('spec', 'plugins').text;
  const errors: FieldError[] = [];
  if (cluster.spec.backup?.barmanObjectStore !== undefined && walArchivers.length > 0) {
    errors.push(
      fieldErr.invalid(field, walArchivers, 'Cannot enable a WAL archiver plugin when barmanObjectStore is configured'),
    );
  }
  if (walArchivers.length > 1) {
    errors.push(fieldErr.invalid(field, walArchivers, 'Cannot enable more than one WAL archiver plugin'));
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Service account and primary lease (rules 70, 71). Upstream's texts for these two were not
// available to us: the wording below is ours.

export function validateServiceAccountConfig(cluster: Cluster): FieldError[] {
  if (cluster.spec.serviceAccountName === undefined || cluster.spec.serviceAccountTemplate === undefined) return [];
  return [
    fieldErr.invalid(
      path('spec', 'serviceAccountTemplate').text,
      cluster.spec.serviceAccountTemplate,
      'serviceAccountTemplate cannot be used together with serviceAccountName',
    ),
  ];
}

export function validatePrimaryLease(cluster: Cluster): FieldError[] {
  const lease = cluster.spec.primaryLease;
  if (lease === undefined) return [];
  const duration = lease.leaseDurationSeconds ?? 15;
  const renew = lease.renewDeadlineSeconds ?? 10;
  const retry = lease.retryPeriodSeconds ?? 2;
  const base = path('spec', 'primaryLease');
  const errors: FieldError[] = [];
  if (duration <= renew) {
    errors.push(
      fieldErr.invalid(
        base.child('leaseDurationSeconds').text,
        duration,
        'leaseDurationSeconds must be greater than renewDeadlineSeconds',
      ),
    );
  }
  // The leader-election jitter factor is 1.2: renew > 1.2 * retry, in integers.
  if (5 * renew <= 6 * retry) {
    errors.push(
      fieldErr.invalid(
        base.child('renewDeadlineSeconds').text,
        renew,
        'renewDeadlineSeconds must be greater than 1.2 times retryPeriodSeconds',
      ),
    );
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Update-only (U6)

export function validateUnixPermissionIdentifierChange(cluster: Cluster, old: Cluster): FieldError[] {
  const errors: FieldError[] = [];
  if (cluster.spec.postgresGID !== old.spec.postgresGID) {
    errors.push(
      fieldErr.invalid(
        path('spec', 'postgresGID').text,
        cluster.spec.postgresGID,
        'GID is an immutable field in the spec',
      ),
    );
  }
  if (cluster.spec.postgresUID !== old.spec.postgresUID) {
    errors.push(
      fieldErr.invalid(
        path('spec', 'postgresUID').text,
        cluster.spec.postgresUID,
        'UID is an immutable field in the spec',
      ),
    );
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Warnings

const GO_DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Nanoseconds of a Go duration string (`30s`, `1h5m`, `0`); undefined when it does not parse. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0' || text === '+0' || text === '-0') return 0;
  const match = /^([-+]?)((?:\d*\.?\d*(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(text);
  if (!match) return undefined;
  let total = 0;
  for (const part of (match[2] ?? '').matchAll(/(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)/g)) {
    const number = part[1] ?? '';
    if (number === '' || number === '.') return undefined;
    total += Number.parseFloat(number) * (GO_DURATION_UNITS[part[2] ?? ''] ?? 0);
  }
  return match[1] === '-' ? -total : total;
}

export function monitoringWarnings(cluster: Cluster): string[] {
  const warnings: string[] = [];
  const monitoring = cluster.spec.monitoring;
  // An absent TTL means the 30s default.
  const ttl = monitoring?.metricsQueriesTTL;
  if (ttl !== undefined && parseGoDuration(ttl) === 0) {
    warnings.push(
      'spec.monitoring.metricsQueriesTTL is explicitly set to 0; this disables automatic TTL behavior and can ' +
        'cause heavy load on the PostgreSQL server.',
    );
  }
  if (monitoring?.enablePodMonitor === true) {
    warnings.push(
      'spec.monitoring.enablePodMonitor is deprecated and will be removed in a future release. Please migrate ' +
        'to manually managing your PodMonitor resources. Set this field to false and create a PodMonitor ' +
        'resource for your cluster as described in the documentation.',
    );
  }
  if ((monitoring?.podMonitorMetricRelabelings ?? []).length > 0) {
    warnings.push(
      'spec.monitoring.podMonitorMetricRelabelings is deprecated and will be removed in a future release. ' +
        'Please migrate to manually managing your PodMonitor resources with custom relabeling configurations.',
    );
  }
  if ((monitoring?.podMonitorRelabelings ?? []).length > 0) {
    warnings.push(
      'spec.monitoring.podMonitorRelabelings is deprecated and will be removed in a future release. Please ' +
        'migrate to manually managing your PodMonitor resources with custom relabeling configurations.',
    );
  }
  return warnings;
}
