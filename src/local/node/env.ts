// A container's environment as the kubelet builds it: envFrom first, then env (later wins),
// `$(VAR)` references expanded against what came before, secret/configMap/field references
// resolved; and the same expansion applied to command and args.
import { availableParallelism, totalmem } from 'node:os';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { parseQuantity } from '../../api/v1/quantity.ts';

/** The decoded keys of a Secret (`data`) or a ConfigMap (`data` and `binaryData`). */
export type KeyData = ReadonlyMap<string, Buffer>;

/** Reads Secrets and ConfigMaps of the pod's namespace (undefined when absent). */
export interface ObjectSource {
  secret(namespace: string, name: string): Promise<KeyData | undefined>;
  configMap(namespace: string, name: string): Promise<KeyData | undefined>;
}

/** A configuration error the kubelet reports as `CreateContainerConfigError`. */
export class ContainerConfigError extends Error {}

/**
 * Expands `$(NAME)` from `vars`; `$$` escapes a `$`; unknown references stay as written, as
 * Kubernetes does.
 */
export function expandVars(input: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const end = input.indexOf(')', i + 2);
      if (end < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, end);
      const value = vars.get(name);
      out += value ?? `$(${name})`;
      i = end;
    } else {
      out += c;
    }
  }
  return out;
}

const LABEL_OR_ANNOTATION = /^metadata\.(labels|annotations)\['([^']+)'\]$/;

/** The value of a downward-API field path of a pod (the paths Kubernetes allows in env and files). */
export function podFieldValue(pod: V1Pod, fieldPath: string): string {
  const meta = pod.metadata ?? {};
  switch (fieldPath) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.annotations':
      return formatMap(meta.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? 'default';
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'status.podIPs':
      return (pod.status?.podIPs ?? []).map((p) => p.ip).join(',');
    case 'status.hostIP':
      return pod.status?.hostIP ?? '';
    case 'status.hostIPs':
      return (pod.status?.hostIPs ?? []).map((p) => p.ip).join(',');
  }
  const m = LABEL_OR_ANNOTATION.exec(fieldPath);
  if (m) {
    const map = m[1] === 'labels' ? meta.labels : meta.annotations;
    return map?.[m[2] ?? ''] ?? '';
  }
  throw new ContainerConfigError(`unsupported fieldPath: ${fieldPath}`);
}

/** `key="value"` lines, sorted, as the downward API writes labels and annotations. */
function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(map?.[k] ?? '')}`)
    .join('\n');
}

/** A resourceFieldRef value: the container's limit (or request) divided by the divisor, rounded up. */
export function resourceFieldValue(container: V1Container, resource: string, divisor = '1'): string {
  const [kind, name] = resource.split('.') as [string, string | undefined];
  const source = kind === 'limits' ? container.resources?.limits : container.resources?.requests;
  const raw = name === undefined ? undefined : source?.[name];
  let amount: number;
  if (raw !== undefined) amount = parseQuantity(String(raw));
  else if (kind !== 'limits') amount = 0;
  // Without a limit Kubernetes reports the node's allocatable: here, the whole machine.
  else amount = name === 'cpu' ? availableParallelism() : name === 'memory' ? totalmem() : 0;
  return String(Math.ceil(amount / parseQuantity(divisor)));
}

async function lookupKey(
  src: ObjectSource,
  kind: 'secret' | 'configmap',
  namespace: string,
  name: string,
  key: string,
  optional: boolean,
): Promise<string | undefined> {
  const data = kind === 'secret' ? await src.secret(namespace, name) : await src.configMap(namespace, name);
  if (data === undefined) {
    if (optional) return undefined;
    throw new ContainerConfigError(`${kind} "${name}" not found`);
  }
  const value = data.get(key)?.toString('utf8');
  if (value === undefined && !optional) {
    throw new ContainerConfigError(
      `couldn't find key ${key} in ${kind === 'secret' ? 'Secret' : 'ConfigMap'} ${namespace}/${name}`,
    );
  }
  return value;
}

/** The container's environment (without the runtime's own additions), in Kubernetes' order. */
export async function containerEnv(
  pod: V1Pod,
  container: V1Container,
  src: ObjectSource,
): Promise<Map<string, string>> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const env = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    let data: KeyData | undefined;
    if (from.secretRef) {
      data = await src.secret(namespace, from.secretRef.name ?? '');
      if (data === undefined && !from.secretRef.optional) {
        throw new ContainerConfigError(`secret "${from.secretRef.name}" not found`);
      }
    } else if (from.configMapRef) {
      data = await src.configMap(namespace, from.configMapRef.name ?? '');
      if (data === undefined && !from.configMapRef.optional) {
        throw new ContainerConfigError(`configmap "${from.configMapRef.name}" not found`);
      }
    }
    for (const [k, v] of data ?? []) env.set(prefix + k, v.toString('utf8'));
  }
  for (const e of container.env ?? []) {
    const vf = e.valueFrom;
    let value: string | undefined;
    if (vf === undefined) {
      value = expandVars(e.value ?? '', env);
    } else if (vf.secretKeyRef) {
      const r = vf.secretKeyRef;
      value = await lookupKey(src, 'secret', namespace, r.name ?? '', r.key, r.optional ?? false);
    } else if (vf.configMapKeyRef) {
      const r = vf.configMapKeyRef;
      value = await lookupKey(src, 'configmap', namespace, r.name ?? '', r.key, r.optional ?? false);
    } else if (vf.fieldRef) {
      value = podFieldValue(pod, vf.fieldRef.fieldPath);
    } else if (vf.resourceFieldRef) {
      value = resourceFieldValue(container, vf.resourceFieldRef.resource, vf.resourceFieldRef.divisor?.toString());
    }
    if (value !== undefined) env.set(e.name, value);
  }
  return env;
}

/** command and args, each expanded against the container's environment (the image map joins them). */
export function containerCommandLine(
  container: V1Container,
  env: ReadonlyMap<string, string>,
): { command: string[]; args: string[] } {
  const expand = (list: string[] | undefined) => (list ?? []).map((a) => expandVars(a, env));
  return { command: expand(container.command), args: expand(container.args) };
}
