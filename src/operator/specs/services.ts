// The services of a cluster: `-rw` (the primary), `-ro` (the replicas), `-r` (every instance), the
// optional `-any` (every instance, ready or not), and the user's `managed.services.additional` built
// on one of those, all on port 5432 named `postgres`.
import type { V1ObjectMeta, V1Service, V1ServicePort } from '@kubernetes/client-node';
import type { Cluster, ManagedService, ServiceSelectorType } from '../../api/v1/cluster-types.ts';
import { SERVER_PORT as POSTGRES_PORT } from '../../api/v1/postgres-parameters.ts';
import {
  ANNOTATIONS,
  appLabels,
  type InheritanceOptions,
  INSTANCE_ROLES,
  LABELS,
  POD_ROLES,
  setInheritedDataAndOwnership,
} from './labels.ts';
import {
  clusterName,
  clusterNamespace,
  serviceAnyName,
  serviceReadName,
  serviceReadOnlyName,
  serviceReadWriteName,
} from './names.ts';
import { runningMajor } from './postgres-image.ts';

export type DefaultServiceType = ServiceSelectorType | 'any';
export type ServiceWithMeta = V1Service & { metadata: V1ObjectMeta };

export const POSTGRES_PORT_NAME = 'postgres';

function postgresPort(): V1ServicePort {
  return { name: POSTGRES_PORT_NAME, protocol: 'TCP', port: POSTGRES_PORT, targetPort: POSTGRES_PORT };
}

/** The pods each kind of service forwards to. */
export function serviceSelector(cluster: string, type: DefaultServiceType): Record<string, string> {
  switch (type) {
    case 'rw':
      return { [LABELS.cluster]: cluster, [LABELS.instanceRole]: INSTANCE_ROLES.primary };
    case 'ro':
      return { [LABELS.cluster]: cluster, [LABELS.instanceRole]: INSTANCE_ROLES.replica };
    case 'r':
    case 'any':
      return { [LABELS.cluster]: cluster, [LABELS.podRole]: POD_ROLES.instance };
  }
}

const SERVICE_NAME: Record<DefaultServiceType, (cluster: string) => string> = {
  rw: serviceReadWriteName,
  ro: serviceReadOnlyName,
  r: serviceReadName,
  any: serviceAnyName,
};

/** A default service before inheritance: the shape every generated service starts from. */
function bareService(cluster: Cluster, type: DefaultServiceType): ServiceWithMeta {
  const name = clusterName(cluster);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: SERVICE_NAME[type](name),
      namespace: clusterNamespace(cluster),
      labels: { [LABELS.cluster]: name, ...appLabels(name, runningMajor(cluster)) },
    },
    spec: {
      type: 'ClusterIP',
      ports: [postgresPort()],
      selector: serviceSelector(name, type),
      ...(type === 'any' ? { publishNotReadyAddresses: true } : {}),
    },
  };
}

/** Whether a default service should exist: `-rw` always, `-r`/`-ro` unless disabled by the user. */
export function isDefaultServiceEnabled(cluster: Cluster, type: ServiceSelectorType): boolean {
  if (type === 'rw') return true;
  return !(cluster.spec.managed?.services?.disabledDefaultServices ?? []).includes(type);
}

export interface DefaultService {
  type: DefaultServiceType;
  service: ServiceWithMeta;
  /** false: the reconciler deletes the service if it exists. */
  enabled: boolean;
}

export interface ServiceBuildOptions extends InheritanceOptions {
  /** Operator setting CREATE_ANY_SERVICE: also manage `<cluster>-any`. */
  createAnyService?: boolean;
}

/** The default services, each with whether it must exist (in upstream's reconcile order). */
export function buildDefaultServices(cluster: Cluster, opts: ServiceBuildOptions): DefaultService[] {
  const types: DefaultServiceType[] = ['any', 'r', 'ro', 'rw'];
  return types.map((type) => {
    const service = bareService(cluster, type);
    setInheritedDataAndOwnership(service.metadata, cluster, opts);
    const enabled = type === 'any' ? opts.createAnyService === true : isDefaultServiceEnabled(cluster, type);
    return { type, service, enabled };
  });
}

/**
 * One service of `managed.services.additional`: the user's template, with the selector of its
 * selectorType forced, the postgres port added unless the template declares that name or port, the
 * default service's labels, `cnpg.io/isManaged` and the update strategy annotation.
 */
export function buildManagedService(
  cluster: Cluster,
  managed: ManagedService,
  opts: InheritanceOptions,
): ServiceWithMeta {
  const base = bareService(cluster, managed.selectorType);
  const template = managed.serviceTemplate;
  const spec = structuredClone(template.spec ?? {});
  if (!spec.type) spec.type = base.spec?.type ?? 'ClusterIP';
  spec.selector = base.spec?.selector ?? {};
  const ports = spec.ports ?? [];
  for (const port of base.spec?.ports ?? []) {
    if (!ports.some((p) => p.name === port.name || p.port === port.port)) ports.push(port);
  }
  spec.ports = ports;
  const metadata: V1ObjectMeta = {
    name: template.metadata?.name ?? '',
    namespace: clusterNamespace(cluster),
    labels: { ...template.metadata?.labels, [LABELS.isManaged]: 'true', ...base.metadata.labels },
    annotations: {
      ...template.metadata?.annotations,
      [ANNOTATIONS.updateStrategy]: managed.updateStrategy ?? 'patch',
    },
  };
  setInheritedDataAndOwnership(metadata, cluster, opts);
  return { apiVersion: 'v1', kind: 'Service', metadata, spec };
}

/** Every `managed.services.additional` service, in spec order. */
export function buildManagedServices(cluster: Cluster, opts: InheritanceOptions): ServiceWithMeta[] {
  return (cluster.spec.managed?.services?.additional ?? []).map((m) => buildManagedService(cluster, m, opts));
}

/** How a service generated for the cluster must be brought up to date: patched, or deleted and recreated. */
export function serviceUpdateStrategy(service: V1Service): 'patch' | 'replace' {
  return service.metadata?.annotations?.[ANNOTATIONS.updateStrategy] === 'replace' ? 'replace' : 'patch';
}
