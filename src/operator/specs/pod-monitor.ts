// The Prometheus Operator PodMonitor of a Cluster (`monitoring.enablePodMonitor`), as upstream
// builds it: named after the cluster, selecting its instance pods, scraping their `metrics` port
// (over HTTPS with the cluster's CA when `monitoring.tls.enabled`), with the user's relabelings.
import type { KubernetesObject, V1LabelSelector, V1ObjectMeta } from '@kubernetes/client-node';
import type { Cluster } from '../../api/v1/cluster-types.ts';
import { postgresMajorOfSpec } from '../../api/v1/image-version.ts';
import { CA_CERT_KEY } from './certificates.ts';
import { appLabels, type InheritanceOptions, LABELS, POD_ROLES, setInheritedDataAndOwnership } from './labels.ts';
import { clusterName, clusterNamespace, serverCASecretName, serviceReadWriteName } from './names.ts';

export const POD_MONITOR_API_VERSION = 'monitoring.coreos.com/v1';
export const POD_MONITOR_KIND = 'PodMonitor';
export const POD_MONITOR_PLURAL = 'podmonitors';
/** The instance container's port the exporter listens on (pods.ts names it so). */
const METRICS_PORT_NAME = 'metrics';

export interface PodMetricsEndpoint {
  port: string;
  scheme?: 'https';
  tlsConfig?: {
    ca: { secret: { name: string; key: string } };
    serverName: string;
    insecureSkipVerify: boolean;
  };
  metricRelabelings?: unknown[];
  relabelings?: unknown[];
}

export interface PodMonitor extends KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta & { name: string };
  spec: { selector: V1LabelSelector; podMetricsEndpoints: PodMetricsEndpoint[] };
}

export function isPodMonitorEnabled(cluster: Cluster): boolean {
  return cluster.spec.monitoring?.enablePodMonitor === true;
}

function majorOrUndefined(cluster: Cluster): number | undefined {
  try {
    return postgresMajorOfSpec(cluster.spec);
  } catch {
    return undefined;
  }
}

export function desiredPodMonitor(cluster: Cluster, inheritance: InheritanceOptions): PodMonitor {
  const name = clusterName(cluster);
  const monitoring = cluster.spec.monitoring;
  const endpoint: PodMetricsEndpoint = { port: METRICS_PORT_NAME };
  if (monitoring?.tls?.enabled === true) {
    endpoint.scheme = 'https';
    endpoint.tlsConfig = {
      ca: { secret: { name: serverCASecretName(cluster), key: CA_CERT_KEY } },
      serverName: serviceReadWriteName(name),
      // As upstream: the certificate names the services, not the pod address Prometheus dials, the
      // same trust as PostgreSQL's verify-ca between instances.
      insecureSkipVerify: true,
    };
  }
  if (monitoring?.podMonitorMetricRelabelings !== undefined) {
    endpoint.metricRelabelings = structuredClone(monitoring.podMonitorMetricRelabelings);
  }
  if (monitoring?.podMonitorRelabelings !== undefined) {
    endpoint.relabelings = structuredClone(monitoring.podMonitorRelabelings);
  }
  const metadata: V1ObjectMeta & { name: string } = {
    name,
    namespace: clusterNamespace(cluster),
    labels: appLabels(name, majorOrUndefined(cluster)),
  };
  setInheritedDataAndOwnership(metadata, cluster, inheritance);
  return {
    apiVersion: POD_MONITOR_API_VERSION,
    kind: POD_MONITOR_KIND,
    metadata,
    spec: {
      selector: { matchLabels: { [LABELS.cluster]: name, [LABELS.podRole]: POD_ROLES.instance } },
      podMetricsEndpoints: [endpoint],
    },
  };
}
