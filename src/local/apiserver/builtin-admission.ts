// The essentials of the built-in kinds' API-server strategies: name rules, the fields clients rely
// on being present (Service cluster IPs, pod phase, Deployment defaults...), required fields and
// immutable ones. Full schema validation of the built-in kinds is deliberately not done.
import { type FieldError, fieldErr } from '../../api/v1/field-error.ts';
import { validateObjectMeta } from '../../api/v1/object-meta.ts';
import type { ResourceType } from './resources.ts';
import { fromLabelSelectorObject, matchLabels } from '../../kube/label-selector.ts';
import type { Json, KubeObject } from './storage.ts';

export interface BuiltinContext {
  /** A free address of the Service range, which the service proxy binds. */
  allocateClusterIP: () => string;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Json => (isObject(v) ? v : {});
const setDefault = (o: Json, key: string, value: unknown) => {
  if (o[key] === undefined || o[key] === null) o[key] = value;
};

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and " +
  "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is " +
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_MESSAGE =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic " +
  "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for " +
  "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
/** RBAC objects only need names that fit in a URL path segment. */
const PATH_SEGMENT_MESSAGE = "may not contain '/' or '%'";

function validateName(rt: ResourceType, o: KubeObject): FieldError[] {
  const name = o.metadata.name;
  if (rt.group === 'rbac.authorization.k8s.io') {
    if (/[/%]/.test(name) || name === '.' || name === '..')
      return [fieldErr.invalid('metadata.name', name, PATH_SEGMENT_MESSAGE)];
    return [];
  }
  const errors = validateObjectMeta(o, rt.namespaced);
  if (errors.length > 0) return errors;
  if (rt.kind === 'Namespace' && (name.length > 63 || !DNS1123_LABEL.test(name))) {
    return [fieldErr.invalid('metadata.name', name, LABEL_MESSAGE)];
  }
  if (rt.kind === 'Service' && (name.length > 63 || !DNS1035_LABEL.test(name))) {
    return [fieldErr.invalid('metadata.name', name, DNS1035_MESSAGE)];
  }
  return [];
}

function defaultPodSpec(spec: Json): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'schedulerName', 'default-scheduler');
  setDefault(spec, 'securityContext', {});
  if (spec.serviceAccountName === undefined && typeof spec.serviceAccount === 'string')
    spec.serviceAccountName = spec.serviceAccount;
  setDefault(spec, 'serviceAccountName', 'default');
  spec.serviceAccount = spec.serviceAccountName;
  for (const list of ['initContainers', 'containers']) {
    for (const c of Array.isArray(spec[list]) ? (spec[list] as unknown[]) : []) {
      if (!isObject(c)) continue;
      setDefault(c, 'terminationMessagePath', '/dev/termination-log');
      setDefault(c, 'terminationMessagePolicy', 'File');
      const image = typeof c.image === 'string' ? c.image : '';
      setDefault(c, 'imagePullPolicy', image.endsWith(':latest') || !image.includes(':') ? 'Always' : 'IfNotPresent');
      setDefault(c, 'resources', {});
      for (const p of Array.isArray(c.ports) ? (c.ports as unknown[]) : [])
        if (isObject(p)) setDefault(p, 'protocol', 'TCP');
    }
  }
}

function validatePodSpec(spec: Json, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    errors.push(fieldErr.required(`${path}.containers`));
    return errors;
  }
  const seen = new Set<string>();
  for (const [list, items] of [
    ['initContainers', spec.initContainers],
    ['containers', containers],
  ] as const) {
    (Array.isArray(items) ? items : []).forEach((c: unknown, i: number) => {
      const at = `${path}.${list}[${i}]`;
      const container = obj(c);
      if (typeof container.name !== 'string' || container.name === '') errors.push(fieldErr.required(`${at}.name`));
      else if (seen.has(container.name)) errors.push(fieldErr.duplicate(`${at}.name`, container.name));
      else seen.add(container.name);
      if (typeof container.image !== 'string' || container.image === '') errors.push(fieldErr.required(`${at}.image`));
    });
  }
  return errors;
}

function immutable(errors: FieldError[], path: string, now: unknown, before: unknown): void {
  if (JSON.stringify(now) !== JSON.stringify(before)) errors.push(fieldErr.invalid(path, now, 'field is immutable'));
}

export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';

/** Defaults (in place) and checks a built-in object on create (`old` undefined) or update. */
export function admitBuiltin(
  rt: ResourceType,
  o: KubeObject,
  old: KubeObject | undefined,
  ctx: BuiltinContext,
): FieldError[] {
  const errors = old === undefined ? validateName(rt, o) : [];
  const spec = obj(o.spec);
  switch (rt.kind) {
    case 'Namespace':
      o.spec = { finalizers: ['kubernetes'], ...spec };
      o.status = { phase: o.metadata.deletionTimestamp === undefined ? 'Active' : 'Terminating', ...obj(o.status) };
      break;
    case 'Pod':
      defaultPodSpec(spec);
      o.spec = spec;
      errors.push(...validatePodSpec(spec, 'spec'));
      if (old === undefined) o.status = { phase: 'Pending', qosClass: 'BestEffort', ...obj(o.status) };
      break;
    case 'Service': {
      o.spec = spec;
      setDefault(spec, 'type', 'ClusterIP');
      setDefault(spec, 'sessionAffinity', 'None');
      const oldSpec = obj(old?.spec);
      if (spec.type !== 'ExternalName') {
        if (spec.clusterIP === undefined || spec.clusterIP === '')
          spec.clusterIP = oldSpec.clusterIP ?? ctx.allocateClusterIP();
        if (old !== undefined) immutable(errors, 'spec.clusterIP', spec.clusterIP, oldSpec.clusterIP);
        spec.clusterIPs = [spec.clusterIP];
        setDefault(spec, 'ipFamilies', ['IPv4']);
        setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
        setDefault(spec, 'internalTrafficPolicy', 'Cluster');
      }
      const ports = Array.isArray(spec.ports) ? spec.ports : [];
      if (ports.length === 0 && spec.clusterIP !== 'None' && spec.type !== 'ExternalName') {
        errors.push(fieldErr.required('spec.ports'));
      }
      ports.forEach((p: unknown, i: number) => {
        const port = obj(p);
        if (typeof port.port !== 'number') errors.push(fieldErr.required(`spec.ports[${i}].port`));
        setDefault(port, 'protocol', 'TCP');
        setDefault(port, 'targetPort', port.port);
      });
      if (old === undefined) o.status = { loadBalancer: {} };
      break;
    }
    case 'Deployment': {
      o.spec = spec;
      setDefault(spec, 'replicas', 1);
      setDefault(spec, 'revisionHistoryLimit', 10);
      setDefault(spec, 'progressDeadlineSeconds', 600);
      setDefault(spec, 'strategy', {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
      });
      const template = obj(spec.template);
      spec.template = template;
      const podSpec = obj(template.spec);
      template.spec = podSpec;
      defaultPodSpec(podSpec);
      errors.push(...validatePodSpec(podSpec, 'spec.template.spec'));
      const labels = obj(obj(template.metadata).labels) as Record<string, string>;
      if (!isObject(spec.selector)) errors.push(fieldErr.required('spec.selector'));
      else if (!matchLabels(fromLabelSelectorObject(spec.selector), labels)) {
        errors.push(
          fieldErr.invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'),
        );
      }
      if (old !== undefined) immutable(errors, 'spec.selector', spec.selector, obj(old.spec).selector);
      break;
    }
    case 'Job': {
      o.spec = spec;
      setDefault(spec, 'completions', 1);
      setDefault(spec, 'parallelism', 1);
      setDefault(spec, 'backoffLimit', 6);
      setDefault(spec, 'completionMode', 'NonIndexed');
      setDefault(spec, 'suspend', false);
      const template = obj(spec.template);
      spec.template = template;
      const meta = obj(template.metadata);
      template.metadata = meta;
      if (old === undefined) {
        const uid = o.metadata.uid;
        meta.labels = {
          ...obj(meta.labels),
          'batch.kubernetes.io/controller-uid': uid,
          'batch.kubernetes.io/job-name': o.metadata.name,
          'controller-uid': uid,
          'job-name': o.metadata.name,
        };
        setDefault(spec, 'selector', { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
      } else {
        immutable(errors, 'spec.selector', spec.selector, obj(old.spec).selector);
      }
      const podSpec = obj(template.spec);
      template.spec = podSpec;
      const restart = podSpec.restartPolicy;
      if (restart !== 'OnFailure' && restart !== 'Never') {
        errors.push(fieldErr.notSupported('spec.template.spec.restartPolicy', restart ?? '', ['OnFailure', 'Never']));
      }
      defaultPodSpec(podSpec);
      errors.push(...validatePodSpec(podSpec, 'spec.template.spec'));
      break;
    }
    case 'Secret': {
      setDefault(o, 'type', 'Opaque');
      // stringData is write-only: it lands in data, base64-encoded.
      if (isObject(o.stringData)) {
        const data = { ...obj(o.data) };
        for (const [k, v] of Object.entries(o.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
        o.data = data;
        delete o.stringData;
      }
      if (old !== undefined) immutable(errors, 'type', o.type, old.type);
      break;
    }
    case 'PersistentVolumeClaim':
      if (old === undefined) {
        o.status = { phase: 'Pending', ...obj(o.status) };
        // Kubernetes' StorageObjectInUseProtection: a claim goes only once no pod uses it.
        const finalizers = o.metadata.finalizers ?? [];
        if (!finalizers.includes(PVC_PROTECTION_FINALIZER))
          o.metadata.finalizers = [...finalizers, PVC_PROTECTION_FINALIZER];
      } else immutable(errors, 'spec.storageClassName', spec.storageClassName, obj(old.spec).storageClassName);
      break;
    case 'RoleBinding':
    case 'ClusterRoleBinding':
      if (!isObject(o.roleRef)) errors.push(fieldErr.required('roleRef'));
      else if (old !== undefined && JSON.stringify(o.roleRef) !== JSON.stringify(old.roleRef)) {
        errors.push(fieldErr.invalid('roleRef', o.roleRef, 'cannot change roleRef'));
      }
      break;
    case 'CustomResourceDefinition':
      errors.push(...admitCrd(o));
      break;
  }
  return errors;
}

function admitCrd(o: KubeObject): FieldError[] {
  const spec = obj(o.spec);
  const names = obj(spec.names);
  const errors: FieldError[] = [];
  if (typeof spec.group !== 'string' || spec.group === '') errors.push(fieldErr.required('spec.group'));
  if (typeof names.plural !== 'string' || names.plural === '') errors.push(fieldErr.required('spec.names.plural'));
  if (typeof names.kind !== 'string' || names.kind === '') errors.push(fieldErr.required('spec.names.kind'));
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') {
    errors.push(fieldErr.notSupported('spec.scope', spec.scope ?? '', ['Cluster', 'Namespaced']));
  }
  const versions = Array.isArray(spec.versions) ? spec.versions.map(obj) : [];
  if (versions.length === 0)
    errors.push(fieldErr.required('spec.versions', 'must have exactly one version marked as storage version'));
  else if (versions.filter((v) => v.storage === true).length !== 1) {
    errors.push(
      fieldErr.invalid('spec.versions', versions.length, 'must have exactly one version marked as storage version'),
    );
  }
  if (errors.length === 0 && o.metadata.name !== `${names.plural}.${spec.group}`) {
    errors.push(fieldErr.invalid('metadata.name', o.metadata.name, 'must be spec.names.plural+"."+spec.group'));
  }
  if (errors.length > 0) return errors;
  const acceptedNames = { listKind: `${names.kind}List`, singular: String(names.kind).toLowerCase(), ...names };
  spec.names = acceptedNames;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const previous = Array.isArray(obj(o.status).conditions) ? (obj(o.status).conditions as unknown[]).map(obj) : [];
  // A condition that stays True keeps the time it became True.
  const condition = (type: string, reason: string, message: string) => ({
    type,
    status: 'True',
    lastTransitionTime: previous.find((c) => c.type === type && c.status === 'True')?.lastTransitionTime ?? now,
    reason,
    message,
  });
  const storage = versions.find((v) => v.storage === true);
  o.status = {
    conditions: [
      condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    acceptedNames,
    storedVersions: [String(storage?.name)],
  };
  return [];
}
