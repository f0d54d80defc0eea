// Decoding of Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`). kubectl's
// typed clients (`kubectl create namespace|secret|configmap|serviceaccount|role|rolebinding|
// clusterrole|clusterrolebinding|token|deployment|job|service|pdb`) send them and do not fall back
// to JSON. Only the messages those commands produce are known (field numbers from the Kubernetes
// API's generated.proto); a field outside them is refused with 415 rather than silently dropped.
import { ApiError } from './errors.ts';
import type { Json } from './storage.ts';

type Scalar = 'string' | 'bytes' | 'int32' | 'int64' | 'bool' | 'time' | 'quantity' | 'intOrString' | 'skip';

interface FieldDef {
  name: string;
  type: Scalar | { message: string };
  repeated?: boolean;
  /** A map<string, value> field (entries: key = 1, value = 2). */
  map?: boolean;
  /** A pointer field in Go: an explicit zero is meaningful and kept. */
  keepZero?: boolean;
}

type MessageDef = Record<number, FieldDef>;

const s = (name: string, extra: Partial<FieldDef> = {}): FieldDef => ({ name, type: 'string', ...extra });
const m = (name: string, message: string, extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  type: { message },
  ...extra,
});
const i32 = (name: string, keepZero = false): FieldDef => ({ name, type: 'int32', keepZero });
const i64 = (name: string, keepZero = false): FieldDef => ({ name, type: 'int64', keepZero });
const b = (name: string, keepZero = false): FieldDef => ({ name, type: 'bool', keepZero });
const strings = (name: string): FieldDef => ({ name, type: 'string', repeated: true });
const stringMap = (name: string): FieldDef => ({ name, type: 'string', map: true });
const ios = (name: string): FieldDef => ({ name, type: 'intOrString' });
const skip = (name: string): FieldDef => ({ name, type: 'skip' });

const MESSAGES: Record<string, MessageDef> = {
  Unknown: {
    1: m('typeMeta', 'TypeMeta'),
    2: { name: 'raw', type: 'bytes' },
    3: s('contentEncoding'),
    4: s('contentType'),
  },
  TypeMeta: { 1: s('apiVersion'), 2: s('kind') },
  ObjectMeta: {
    1: s('name'),
    2: s('generateName'),
    3: s('namespace'),
    4: s('selfLink'),
    5: s('uid'),
    6: s('resourceVersion'),
    7: i64('generation'),
    8: { name: 'creationTimestamp', type: 'time' },
    9: { name: 'deletionTimestamp', type: 'time' },
    10: i64('deletionGracePeriodSeconds', true),
    11: stringMap('labels'),
    12: stringMap('annotations'),
    13: m('ownerReferences', 'OwnerReference', { repeated: true }),
    14: strings('finalizers'),
    17: skip('managedFields'),
  },
  OwnerReference: {
    1: s('kind'),
    3: s('name'),
    4: s('uid'),
    5: s('apiVersion'),
    6: b('controller', true),
    7: b('blockOwnerDeletion', true),
  },
  ObjectReference: {
    1: s('kind'),
    2: s('namespace'),
    3: s('name'),
    4: s('uid'),
    5: s('apiVersion'),
    6: s('resourceVersion'),
    7: s('fieldPath'),
  },
  LocalObjectReference: { 1: s('name') },
  LabelSelector: {
    1: stringMap('matchLabels'),
    2: m('matchExpressions', 'LabelSelectorRequirement', { repeated: true }),
  },
  LabelSelectorRequirement: { 1: s('key'), 2: s('operator'), 3: strings('values') },
  DeleteOptions: {
    1: i64('gracePeriodSeconds', true),
    2: m('preconditions', 'Preconditions'),
    3: b('orphanDependents', true),
    4: s('propagationPolicy'),
    5: strings('dryRun'),
  },
  Preconditions: { 1: s('uid'), 2: s('resourceVersion') },
  Namespace: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'NamespaceSpec'), 3: skip('status') },
  NamespaceSpec: { 1: strings('finalizers') },
  ConfigMap: {
    1: m('metadata', 'ObjectMeta'),
    2: stringMap('data'),
    3: { name: 'binaryData', type: 'bytes', map: true },
    4: b('immutable', true),
  },
  Secret: {
    1: m('metadata', 'ObjectMeta'),
    2: { name: 'data', type: 'bytes', map: true },
    3: s('type'),
    4: stringMap('stringData'),
    5: b('immutable', true),
  },
  ServiceAccount: {
    1: m('metadata', 'ObjectMeta'),
    2: m('secrets', 'ObjectReference', { repeated: true }),
    3: m('imagePullSecrets', 'LocalObjectReference', { repeated: true }),
    4: b('automountServiceAccountToken', true),
  },
  Role: { 1: m('metadata', 'ObjectMeta'), 2: m('rules', 'PolicyRule', { repeated: true }) },
  ClusterRole: {
    1: m('metadata', 'ObjectMeta'),
    2: m('rules', 'PolicyRule', { repeated: true }),
    3: m('aggregationRule', 'AggregationRule'),
  },
  AggregationRule: { 1: m('clusterRoleSelectors', 'LabelSelector', { repeated: true }) },
  PolicyRule: {
    1: strings('verbs'),
    2: strings('apiGroups'),
    3: strings('resources'),
    4: strings('resourceNames'),
    5: strings('nonResourceURLs'),
  },
  RoleBinding: {
    1: m('metadata', 'ObjectMeta'),
    2: m('subjects', 'Subject', { repeated: true }),
    3: m('roleRef', 'RoleRef'),
  },
  Subject: { 1: s('kind'), 2: s('apiGroup'), 3: s('name'), 4: s('namespace') },
  RoleRef: { 1: s('apiGroup'), 2: s('kind'), 3: s('name') },
  TokenRequest: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'TokenRequestSpec'), 3: skip('status') },
  TokenRequestSpec: {
    1: strings('audiences'),
    3: m('boundObjectRef', 'BoundObjectReference'),
    4: i64('expirationSeconds', true),
  },
  BoundObjectReference: { 1: s('kind'), 2: s('apiVersion'), 3: s('name'), 4: s('uid') },
  Service: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'ServiceSpec'), 3: skip('status') },
  ServiceSpec: {
    1: m('ports', 'ServicePort', { repeated: true }),
    2: stringMap('selector'),
    3: s('clusterIP'),
    4: s('type'),
    5: strings('externalIPs'),
    7: s('sessionAffinity'),
    8: s('loadBalancerIP'),
    9: strings('loadBalancerSourceRanges'),
    10: s('externalName'),
    11: s('externalTrafficPolicy'),
    12: i32('healthCheckNodePort'),
    13: b('publishNotReadyAddresses'),
  },
  ServicePort: {
    1: s('name'),
    2: s('protocol'),
    3: i32('port'),
    4: ios('targetPort'),
    5: i32('nodePort'),
    6: s('appProtocol'),
  },
  PodDisruptionBudget: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'PodDisruptionBudgetSpec'), 3: skip('status') },
  PodDisruptionBudgetSpec: {
    1: ios('minAvailable'),
    2: m('selector', 'LabelSelector'),
    3: ios('maxUnavailable'),
    4: s('unhealthyPodEvictionPolicy'),
  },
  Deployment: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'DeploymentSpec'), 3: skip('status') },
  DeploymentSpec: {
    1: i32('replicas', true),
    2: m('selector', 'LabelSelector'),
    3: m('template', 'PodTemplateSpec'),
    4: m('strategy', 'DeploymentStrategy'),
    5: i32('minReadySeconds'),
    6: i32('revisionHistoryLimit', true),
    7: b('paused'),
    9: i32('progressDeadlineSeconds', true),
  },
  DeploymentStrategy: { 1: s('type'), 2: m('rollingUpdate', 'RollingUpdateDeployment') },
  RollingUpdateDeployment: { 1: ios('maxUnavailable'), 2: ios('maxSurge') },
  Job: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'JobSpec'), 3: skip('status') },
  JobSpec: {
    1: i32('parallelism', true),
    2: i32('completions', true),
    3: i64('activeDeadlineSeconds', true),
    4: m('selector', 'LabelSelector'),
    5: b('manualSelector', true),
    6: m('template', 'PodTemplateSpec'),
    7: i32('backoffLimit', true),
    8: i32('ttlSecondsAfterFinished', true),
    9: s('completionMode'),
    10: b('suspend', true),
  },
  PodTemplateSpec: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'PodSpec') },
  PodSpec: {
    2: m('containers', 'Container', { repeated: true }),
    3: s('restartPolicy'),
    4: i64('terminationGracePeriodSeconds', true),
    5: i64('activeDeadlineSeconds', true),
    6: s('dnsPolicy'),
    7: stringMap('nodeSelector'),
    8: s('serviceAccountName'),
    9: s('serviceAccount'),
    10: s('nodeName'),
    11: b('hostNetwork'),
    12: b('hostPID'),
    13: b('hostIPC'),
    15: m('imagePullSecrets', 'LocalObjectReference', { repeated: true }),
    16: s('hostname'),
    17: s('subdomain'),
    19: s('schedulerName'),
    20: m('initContainers', 'Container', { repeated: true }),
    21: b('automountServiceAccountToken', true),
    24: s('priorityClassName'),
  },
  Container: {
    1: s('name'),
    2: s('image'),
    3: strings('command'),
    4: strings('args'),
    5: s('workingDir'),
    6: m('ports', 'ContainerPort', { repeated: true }),
    7: m('env', 'EnvVar', { repeated: true }),
    8: m('resources', 'ResourceRequirements'),
    13: s('terminationMessagePath'),
    14: s('imagePullPolicy'),
    16: b('stdin'),
    17: b('stdinOnce'),
    18: b('tty'),
    20: s('terminationMessagePolicy'),
  },
  ContainerPort: { 1: s('name'), 2: i32('hostPort'), 3: i32('containerPort'), 4: s('protocol'), 5: s('hostIP') },
  EnvVar: { 1: s('name'), 2: s('value') },
  ResourceRequirements: {
    1: { name: 'limits', type: 'quantity', map: true },
    2: { name: 'requests', type: 'quantity', map: true },
  },
  Quantity: { 1: s('string') },
  Time: { 1: i64('seconds'), 2: i32('nanos') },
  IntOrString: { 1: i64('type'), 2: i32('intVal'), 3: s('strVal') },
};

/** The message of each kind a typed client may send. */
const KIND_MESSAGES: Record<string, string> = {
  Namespace: 'Namespace',
  ConfigMap: 'ConfigMap',
  Secret: 'Secret',
  ServiceAccount: 'ServiceAccount',
  Role: 'Role',
  ClusterRole: 'ClusterRole',
  RoleBinding: 'RoleBinding',
  ClusterRoleBinding: 'RoleBinding',
  TokenRequest: 'TokenRequest',
  Service: 'Service',
  PodDisruptionBudget: 'PodDisruptionBudget',
  Deployment: 'Deployment',
  Job: 'Job',
  DeleteOptions: 'DeleteOptions',
};

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

const unsupported = (what: string) =>
  new ApiError(
    415,
    'UnsupportedMediaType',
    `the protobuf body is not supported by the local API server (${what}); send JSON instead`,
  );

class Reader {
  private pos = 0;
  private readonly buf: Buffer;
  private readonly end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw unsupported('truncated varint');
      const byte = this.buf[this.pos++] ?? 0;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  }

  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.end) throw unsupported('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw unsupported(`wire type ${wire}`);
  }
}

function toSigned(v: bigint, bits: 32 | 64): number {
  return Number(bits === 32 ? BigInt.asIntN(32, v) : BigInt.asIntN(64, v));
}

function decodeMessage(name: string, buf: Buffer): Json {
  const def = MESSAGES[name];
  if (def === undefined) throw unsupported(`message ${name}`);
  const out: Json = {};
  const r = new Reader(buf);
  while (!r.done()) {
    const key = Number(r.varint());
    const number = key >>> 3;
    const wire = key & 7;
    const field = def[number];
    if (field === undefined) throw unsupported(`field ${number} of ${name}`);
    if (field.type === 'skip') {
      r.skip(wire);
      continue;
    }
    if (field.map) {
      const entry = new Reader(r.bytes());
      let k = '';
      let v: unknown;
      while (!entry.done()) {
        const ek = Number(entry.varint());
        if (ek >>> 3 === 1) k = entry.bytes().toString('utf8');
        else if (ek >>> 3 === 2) v = scalar(field, ek & 7, entry);
        else entry.skip(ek & 7);
      }
      const map = (out[field.name] ?? {}) as Json;
      map[k] = v ?? (field.type === 'bytes' ? '' : field.type === 'string' ? '' : v);
      out[field.name] = map;
      continue;
    }
    if (field.repeated && wire === 2 && (field.type === 'int32' || field.type === 'int64')) {
      const packed = new Reader(r.bytes());
      const list = (out[field.name] ?? []) as unknown[];
      while (!packed.done()) list.push(toSigned(packed.varint(), field.type === 'int32' ? 32 : 64));
      out[field.name] = list;
      continue;
    }
    const value = scalar(field, wire, r);
    if (field.repeated) out[field.name] = [...((out[field.name] ?? []) as unknown[]), value];
    else out[field.name] = value;
  }
  // Go writes every non-pointer field, zero or not; JSON omits the zero ones.
  for (const f of Object.values(def)) {
    const v = out[f.name];
    if (f.keepZero || f.repeated || f.map || v === undefined) continue;
    if (v === '' || v === 0 || v === false || v === null) delete out[f.name];
  }
  return out;
}

function scalar(field: FieldDef, wire: number, r: Reader): unknown {
  const t = field.type;
  if (typeof t === 'object') return decodeMessage(t.message, r.bytes());
  switch (t) {
    case 'string':
      return r.bytes().toString('utf8');
    case 'bytes':
      return r.bytes().toString('base64');
    case 'int32':
      return toSigned(r.varint(), 32);
    case 'int64':
      return toSigned(r.varint(), 64);
    case 'bool':
      return r.varint() !== 0n;
    case 'time': {
      const time = decodeMessage('Time', r.bytes());
      const seconds = Number(time.seconds ?? 0);
      return seconds === 0 ? null : new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
    case 'quantity':
      return decodeMessage('Quantity', r.bytes()).string ?? '0';
    case 'intOrString': {
      const v = decodeMessage('IntOrString', r.bytes());
      return Number(v.type ?? 0) === 1 ? (v.strVal ?? '') : Number(v.intVal ?? 0);
    }
    default:
      r.skip(wire);
      return undefined;
  }
}

/** Decodes a `k8s\0`-framed protobuf body into the JSON object it stands for. */
export function decodeKubernetesProtobuf(body: Buffer): Json {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC))
    throw unsupported('missing the k8s envelope');
  const unknown = decodeMessage('Unknown', body.subarray(MAGIC.length));
  const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const message = KIND_MESSAGES[typeMeta.kind ?? ''];
  if (message === undefined) throw unsupported(`kind ${typeMeta.kind ?? '(none)'}`);
  const raw = Buffer.from(String(unknown.raw ?? ''), 'base64');
  const obj = decodeMessage(message, raw);
  for (const [k, v] of Object.entries(obj)) if (v === null) delete obj[k];
  return { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, ...obj };
}
