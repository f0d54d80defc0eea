// Kubernetes core types (corev1, appsv1, metav1) embedded in our resources, rendered as the
// structural OpenAPI v3 schema that controller-gen writes into upstream's CRDs. The shape comes from
// @kubernetes/client-node's model metadata (`attributeTypeMap`); what that metadata does not carry
// (required fields, resource.Quantity fields, list and map types, defaults) comes from the tables
// below, taken from the Kubernetes API and checked against upstream's generated CRDs.
import * as models from '@kubernetes/client-node/dist/gen/models/all.js';
import { freeObject, intOrString, quantity, Type } from './schema-kit.ts';

type Json = Record<string, unknown>;

interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

/** Fields that are resource.Quantity in Kubernetes (client-node types them as plain strings). */
const QUANTITY_FIELDS: ReadonlySet<string> = new Set([
  'V1ContainerStatus.allocatedResources',
  'V1EmptyDirVolumeSource.sizeLimit',
  'V1LimitRangeItem.default',
  'V1LimitRangeItem.defaultRequest',
  'V1LimitRangeItem.max',
  'V1LimitRangeItem.maxLimitRequestRatio',
  'V1LimitRangeItem.min',
  'V1NodeStatus.allocatable',
  'V1NodeStatus.capacity',
  'V1Overhead.podFixed',
  'V1PersistentVolumeClaimStatus.allocatedResources',
  'V1PersistentVolumeClaimStatus.capacity',
  'V1PersistentVolumeSpec.capacity',
  'V1PodSpec.overhead',
  'V1PodStatus.allocatedResources',
  'V1ResourceFieldSelector.divisor',
  'V1ResourceQuotaSpec.hard',
  'V1ResourceQuotaStatus.hard',
  'V1ResourceQuotaStatus.used',
  'V1ResourceRequirements.limits',
  'V1ResourceRequirements.requests',
  'V1VolumeResourceRequirements.limits',
  'V1VolumeResourceRequirements.requests',
]);

/** Required fields, as the generated CRDs list them (client-node marks every field optional). */
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  CoreV1ResourceClaim: ['name'],
  V1AWSElasticBlockStoreVolumeSource: ['volumeID'],
  V1AppArmorProfile: ['type'],
  V1AzureDiskVolumeSource: ['diskName', 'diskURI'],
  V1AzureFileVolumeSource: ['secretName', 'shareName'],
  V1CSIVolumeSource: ['driver'],
  V1CephFSVolumeSource: ['monitors'],
  V1CinderVolumeSource: ['volumeID'],
  V1ClusterTrustBundleProjection: ['path'],
  V1Condition: ['lastTransitionTime', 'message', 'reason', 'status', 'type'],
  V1ConfigMapKeySelector: ['key'],
  V1Container: ['name'],
  V1ContainerPort: ['containerPort'],
  V1ContainerResizePolicy: ['resourceName', 'restartPolicy'],
  V1ContainerRestartRule: ['action'],
  V1ContainerRestartRuleOnExitCodes: ['operator'],
  V1DownwardAPIVolumeFile: ['path'],
  V1EnvVar: ['name'],
  V1EphemeralContainer: ['name'],
  V1FileKeySelector: ['key', 'path', 'volumeName'],
  V1FlexVolumeSource: ['driver'],
  V1GCEPersistentDiskVolumeSource: ['pdName'],
  V1GRPCAction: ['port'],
  V1GitRepoVolumeSource: ['repository'],
  V1GlusterfsVolumeSource: ['endpoints', 'path'],
  V1HTTPGetAction: ['port'],
  V1HTTPHeader: ['name', 'value'],
  V1HostAlias: ['ip'],
  V1HostPathVolumeSource: ['path'],
  V1ISCSIVolumeSource: ['iqn', 'lun', 'targetPortal'],
  V1KeyToPath: ['key', 'path'],
  V1LabelSelectorRequirement: ['key', 'operator'],
  V1NFSVolumeSource: ['path', 'server'],
  V1NodeSelector: ['nodeSelectorTerms'],
  V1NodeSelectorRequirement: ['key', 'operator'],
  V1ObjectFieldSelector: ['fieldPath'],
  V1PersistentVolumeClaimTemplate: ['spec'],
  V1PersistentVolumeClaimVolumeSource: ['claimName'],
  V1PhotonPersistentDiskVolumeSource: ['pdID'],
  V1PodAffinityTerm: ['topologyKey'],
  V1PodCertificateProjection: ['keyType', 'signerName'],
  V1PodOS: ['name'],
  V1PodReadinessGate: ['conditionType'],
  V1PodResourceClaim: ['name'],
  V1PodSchedulingGate: ['name'],
  V1PodSpec: ['containers'],
  V1PortworxVolumeSource: ['volumeID'],
  V1PreferredSchedulingTerm: ['preference', 'weight'],
  V1QuobyteVolumeSource: ['registry', 'volume'],
  V1RBDVolumeSource: ['image', 'monitors'],
  V1ResourceFieldSelector: ['resource'],
  V1ScaleIOVolumeSource: ['gateway', 'secretRef', 'system'],
  V1SeccompProfile: ['type'],
  V1SecretKeySelector: ['key'],
  V1ServiceAccountTokenProjection: ['path'],
  V1ServicePort: ['port'],
  V1SleepAction: ['seconds'],
  V1Sysctl: ['name', 'value'],
  V1TCPSocketAction: ['port'],
  V1TopologySpreadConstraint: ['maxSkew', 'topologyKey', 'whenUnsatisfiable'],
  V1TypedLocalObjectReference: ['kind', 'name'],
  V1TypedObjectReference: ['kind', 'name'],
  V1Volume: ['name'],
  V1VolumeDevice: ['devicePath', 'name'],
  V1VolumeMount: ['mountPath', 'name'],
  V1VsphereVirtualDiskVolumeSource: ['volumePath'],
  V1WeightedPodAffinityTerm: ['podAffinityTerm', 'weight'],
};

/** `+listType=map` lists and their keys; every other list is `atomic` except LIST_SETS. */
const LIST_MAPS: Readonly<Record<string, readonly string[]>> = {
  'V1Container.env': ['name'],
  'V1Container.ports': ['containerPort', 'protocol'],
  'V1Container.volumeDevices': ['devicePath'],
  'V1Container.volumeMounts': ['mountPath'],
  'V1EphemeralContainer.env': ['name'],
  'V1EphemeralContainer.ports': ['containerPort', 'protocol'],
  'V1EphemeralContainer.volumeDevices': ['devicePath'],
  'V1EphemeralContainer.volumeMounts': ['mountPath'],
  'V1PodSpec.containers': ['name'],
  'V1PodSpec.ephemeralContainers': ['name'],
  'V1PodSpec.hostAliases': ['ip'],
  'V1PodSpec.imagePullSecrets': ['name'],
  'V1PodSpec.initContainers': ['name'],
  'V1PodSpec.resourceClaims': ['name'],
  'V1PodSpec.schedulingGates': ['name'],
  'V1PodSpec.topologySpreadConstraints': ['topologyKey', 'whenUnsatisfiable'],
  'V1PodSpec.volumes': ['name'],
  'V1ResourceRequirements.claims': ['name'],
  'V1ServiceSpec.ports': ['port', 'protocol'],
};

const LIST_SETS: ReadonlySet<string> = new Set(['V1ContainerRestartRuleOnExitCodes.values']);

/** Structs marked `+structType=atomic` (`x-kubernetes-map-type: atomic` in the CRD). */
const ATOMIC_STRUCTS: ReadonlySet<string> = new Set([
  'V1ConfigMapEnvSource',
  'V1ConfigMapKeySelector',
  'V1ConfigMapProjection',
  'V1ConfigMapVolumeSource',
  'V1FileKeySelector',
  'V1LabelSelector',
  'V1LocalObjectReference',
  'V1NodeSelector',
  'V1NodeSelectorTerm',
  'V1ObjectFieldSelector',
  'V1ObjectReference',
  'V1ResourceFieldSelector',
  'V1SecretEnvSource',
  'V1SecretKeySelector',
  'V1SecretProjection',
  'V1TypedLocalObjectReference',
]);

/** Maps marked `+mapType=atomic`. */
const ATOMIC_MAPS: ReadonlySet<string> = new Set(['V1PodSpec.nodeSelector', 'V1ServiceSpec.selector']);

// Literal `+default=` markers controller-gen carries into the CRD. The empty name comes from the
// LocalObjectReference embedded in these types; the list-map key `protocol` needs its default.
const DEFAULTS: Readonly<Record<string, unknown>> = {
  'V1AzureDiskVolumeSource.fsType': 'ext4',
  'V1AzureDiskVolumeSource.readOnly': false,
  'V1ConfigMapEnvSource.name': '',
  'V1ConfigMapKeySelector.name': '',
  'V1ConfigMapProjection.name': '',
  'V1ConfigMapVolumeSource.name': '',
  'V1ContainerPort.protocol': 'TCP',
  'V1FileKeySelector.optional': false,
  'V1GRPCAction.service': '',
  'V1ISCSIVolumeSource.iscsiInterface': 'default',
  'V1LocalObjectReference.name': '',
  'V1RBDVolumeSource.keyring': '/etc/ceph/keyring',
  'V1RBDVolumeSource.pool': 'rbd',
  'V1RBDVolumeSource.user': 'admin',
  'V1ScaleIOVolumeSource.fsType': 'xfs',
  'V1ScaleIOVolumeSource.storageMode': 'ThinProvisioned',
  'V1SecretEnvSource.name': '',
  'V1SecretKeySelector.name': '',
  'V1SecretProjection.name': '',
  'V1ServicePort.protocol': 'TCP',
};

// Upstream's CRDs are generated without embedded ObjectMeta support, so a nested `metadata`
// (PodTemplateSpec, PersistentVolumeClaimTemplate) is a bare object.
const EMBEDDED_OBJECT_META = 'V1ObjectMeta';

const registry = models as unknown as Record<string, unknown>;

function attributesOf(modelName: string): readonly Attribute[] | undefined {
  const model = registry[modelName];
  if (typeof model !== 'function') return undefined;
  const map: unknown = (model as { attributeTypeMap?: unknown }).attributeTypeMap;
  return Array.isArray(map) ? (map as Attribute[]) : undefined;
}

/** What a field's type needs besides its type string. */
interface FieldContext {
  key: string;
  format: string;
  quantity: boolean;
  stack: readonly string[];
}

function scalarNode(type: string, ctx: FieldContext): Json | undefined {
  switch (type) {
    case 'string':
      if (ctx.quantity) return { ...quantity() };
      return ctx.format === 'byte' ? { type: 'string', format: 'byte' } : { type: 'string' };
    case 'number':
      return ctx.format === 'int32' || ctx.format === 'int64'
        ? { type: 'integer', format: ctx.format }
        : { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'Date':
    case 'V1MicroTime':
      return { type: 'string', format: 'date-time' };
    case 'IntOrString':
      return { ...intOrString() };
    case 'any':
    case 'object':
      return { ...freeObject() };
    default:
      return undefined;
  }
}

function listAnnotations(key: string): Json {
  const keys = LIST_MAPS[key];
  if (keys) return { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': [...keys] };
  return { 'x-kubernetes-list-type': LIST_SETS.has(key) ? 'set' : 'atomic' };
}

function typeNode(type: string, ctx: FieldContext, outermost: boolean): Json {
  const array = /^Array<(.+)>$/.exec(type);
  if (array?.[1]) {
    const node: Json = { type: 'array', items: typeNode(array[1], ctx, false) };
    return outermost ? { ...node, ...listAnnotations(ctx.key) } : node;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map?.[1]) {
    const node: Json = { type: 'object', additionalProperties: typeNode(map[1], ctx, false) };
    return outermost && ATOMIC_MAPS.has(ctx.key) ? { ...node, 'x-kubernetes-map-type': 'atomic' } : node;
  }
  return scalarNode(type, ctx) ?? modelNode(type, ctx.stack);
}

function modelNode(modelName: string, stack: readonly string[]): Json {
  if (modelName === EMBEDDED_OBJECT_META) return { type: 'object' };
  // A model containing itself cannot be inlined: keep the inner occurrence as free content.
  if (stack.includes(modelName)) return { ...freeObject() };
  const attributes = attributesOf(modelName);
  if (!attributes) throw new Error(`core-types: unknown Kubernetes model ${modelName}`);
  const inner = [...stack, modelName];
  const properties: Json = {};
  // Byte order, as controller-gen writes properties.
  for (const attr of [...attributes].sort((a, b) => (a.baseName < b.baseName ? -1 : 1))) {
    const key = `${modelName}.${attr.baseName}`;
    const ctx: FieldContext = { key, format: attr.format, quantity: QUANTITY_FIELDS.has(key), stack: inner };
    const node = typeNode(attr.type, ctx, true);
    properties[attr.baseName] = key in DEFAULTS ? { default: DEFAULTS[key], ...node } : node;
  }
  const node: Json = { type: 'object', properties };
  const required = REQUIRED[modelName];
  if (required) node.required = [...required];
  if (ATOMIC_STRUCTS.has(modelName)) node['x-kubernetes-map-type'] = 'atomic';
  return node;
}

/**
 * Where a schema node embedding a Kubernetes model keeps the model's name (invisible to JSON): the
 * API field walk treats such a value as one field, handed whole to Kubernetes objects.
 */
export const KUBERNETES_MODEL: unique symbol = Symbol('kubernetes-model');

/** The Kubernetes model a schema node embeds (`V1Toleration`...), if it is one. */
export function kubernetesModelOf(schema: unknown): string | undefined {
  return (schema as { [KUBERNETES_MODEL]?: string })[KUBERNETES_MODEL];
}

// Generated trees, per model. Callers get a deep copy: nested nodes are then never shared, neither
// between two embeddings (a YAML writer would turn shared objects into anchors) nor with the cache.
const cache = new Map<string, Json>();

/**
 * The structural schema of a Kubernetes model, by its client-node class name (`V1Toleration`,
 * `V1PodTemplateSpec`, ...), typed as `T` (pass client-node's type). `opts` go on the root node.
 */
export function coreType<T>(modelName: string, opts: Record<string, unknown> = {}) {
  let tree = cache.get(modelName);
  if (!tree) {
    tree = modelNode(modelName, []);
    cache.set(modelName, tree);
  }
  return Type.Unsafe<T>({ ...structuredClone(tree), ...opts, [KUBERNETES_MODEL]: modelName });
}

/** Table entries naming a model or field that client-node does not have (a self-check for tests). */
export function coreTableProblems(): string[] {
  const attribute = (key: string) => {
    const dot = key.indexOf('.');
    return attributesOf(key.slice(0, dot))?.find((a) => a.baseName === key.slice(dot + 1));
  };
  const fieldKeys = [
    ...QUANTITY_FIELDS,
    ...Object.keys(LIST_MAPS),
    ...LIST_SETS,
    ...ATOMIC_MAPS,
    ...Object.keys(DEFAULTS),
    ...Object.entries(REQUIRED).flatMap(([model, fields]) => fields.map((f) => `${model}.${f}`)),
  ];
  const problems = fieldKeys.filter((key) => !attribute(key)).map((key) => `no field ${key}`);
  for (const key of QUANTITY_FIELDS) {
    const type = attribute(key)?.type;
    if (type && type !== 'string' && type !== '{ [key: string]: string; }') problems.push(`${key} is ${type}`);
  }
  for (const model of ATOMIC_STRUCTS) if (!attributesOf(model)) problems.push(`no model ${model}`);
  return problems;
}
