// Which pods serve a Service, computed as the endpoints controller does: the pods its selector
// picks that have an address and are not finished, split into ready and not-ready (a pod being
// deleted is not ready), with each Service port's targetPort resolved against the pod.
import type {
  CoreV1EndpointPort,
  V1Container,
  V1EndpointAddress,
  V1EndpointSubset,
  V1Pod,
  V1Service,
} from '@kubernetes/client-node';

export interface Backend {
  /** `namespace/name` of the pod. */
  pod: string;
  ip: string;
  port: number;
}

/** True when every key of the selector is a label of the pod with the same value. */
export function selectorMatches(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (selector === undefined || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

const isPodReady = (p: V1Pod): boolean =>
  p.metadata?.deletionTimestamp === undefined &&
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** The pods of the Service's namespace its selector picks and that have an address. */
export function selectedPods(svc: V1Service, pods: readonly V1Pod[]): V1Pod[] {
  const ns = svc.metadata?.namespace;
  return pods.filter(
    (p) =>
      p.metadata?.namespace === ns &&
      p.status?.podIP !== undefined &&
      p.status.phase !== 'Succeeded' &&
      p.status.phase !== 'Failed' &&
      selectorMatches(svc.spec?.selector, p.metadata?.labels),
  );
}

/** The port a Service port's targetPort stands for on this pod (a number, or a named container port). */
export function targetPortOf(target: number | string | undefined, servicePort: number, pod: V1Pod): number | undefined {
  if (target === undefined) return servicePort;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const containers: V1Container[] = pod.spec?.containers ?? [];
  for (const c of containers) {
    const p = (c.ports ?? []).find((cp) => cp.name === target);
    if (p !== undefined) return p.containerPort;
  }
  return undefined;
}

/** Whether a pod receives the Service's traffic: ready, or any pod when not-ready addresses are published. */
export const servesTraffic = (svc: V1Service, pod: V1Pod): boolean =>
  svc.spec?.publishNotReadyAddresses === true ? pod.metadata?.deletionTimestamp === undefined : isPodReady(pod);

/** For one Service port: where its connections may go, in a stable order. */
export function backendsFor(svc: V1Service, servicePort: number, pods: readonly V1Pod[]): Backend[] {
  const sp = (svc.spec?.ports ?? []).find((p) => p.port === servicePort);
  if (sp === undefined) return [];
  const out: Backend[] = [];
  for (const pod of selectedPods(svc, pods)) {
    if (!servesTraffic(svc, pod)) continue;
    const port = targetPortOf(sp.targetPort, sp.port, pod);
    if (port === undefined) continue;
    out.push({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, ip: pod.status?.podIP ?? '', port });
  }
  return out.sort((a, b) => a.pod.localeCompare(b.pod));
}

/** The subsets of the Service's Endpoints object: pods grouped by their resolved ports. */
export function endpointSubsets(svc: V1Service, pods: readonly V1Pod[]): V1EndpointSubset[] {
  const groups = new Map<
    string,
    { ports: CoreV1EndpointPort[]; ready: V1EndpointAddress[]; notReady: V1EndpointAddress[] }
  >();
  const selected = selectedPods(svc, pods).sort((a, b) =>
    (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
  );
  for (const pod of selected) {
    const ports: CoreV1EndpointPort[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const port = targetPortOf(sp.targetPort, sp.port, pod);
      if (port === undefined) continue;
      ports.push({ ...(sp.name === undefined ? {} : { name: sp.name }), port, protocol: sp.protocol ?? 'TCP' });
    }
    if (ports.length === 0) continue;
    const key = JSON.stringify(ports);
    let g = groups.get(key);
    if (g === undefined) {
      g = { ports, ready: [], notReady: [] };
      groups.set(key, g);
    }
    const address: V1EndpointAddress = {
      ip: pod.status?.podIP ?? '',
      ...(pod.spec?.nodeName === undefined ? {} : { nodeName: pod.spec.nodeName }),
      targetRef: { kind: 'Pod', name: pod.metadata?.name, namespace: pod.metadata?.namespace, uid: pod.metadata?.uid },
    };
    (servesTraffic(svc, pod) ? g.ready : g.notReady).push(address);
  }
  return [...groups.values()].map((g) => ({
    ...(g.ready.length > 0 ? { addresses: g.ready } : {}),
    ...(g.notReady.length > 0 ? { notReadyAddresses: g.notReady } : {}),
    ports: g.ports,
  }));
}
