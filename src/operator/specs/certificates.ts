// The certificate secrets of a cluster, laid out as upstream's: `<cluster>-ca` (Opaque, `ca.crt` and
// `ca.key`), the server certificate `<cluster>-server` and the `streaming_replica` client
// certificate `<cluster>-replication` (kubernetes.io/tls, `tls.crt` and `tls.key`), and the names
// the server certificate is valid for.
import type { V1ObjectMeta, V1Secret } from '@kubernetes/client-node';
import type { Cluster } from '../../api/v1/cluster-types.ts';
import type { KeyPair } from '../../certs/key-pair.ts';
import { type InheritanceOptions, LABELS, MANAGER_NAME, setInheritedDataAndOwnership } from './labels.ts';
import { clusterName, clusterNamespace, serviceReadName, serviceReadOnlyName, serviceReadWriteName } from './names.ts';
import { DEFAULT_CLUSTER_DOMAIN } from './secrets.ts';
import { isDefaultServiceEnabled } from './services.ts';

export const CA_CERT_KEY = 'ca.crt';
export const CA_KEY_KEY = 'ca.key';
export const TLS_CERT_KEY = 'tls.crt';
export const TLS_KEY_KEY = 'tls.key';

type SecretWithMeta = V1Secret & { metadata: V1ObjectMeta };

/** `name`, `name.ns`, `name.ns.svc`, `name.ns.svc.<domain>`: how clients may call a service. */
function serviceNames(service: string, namespace: string, domain: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.${domain}`];
}

/**
 * The server certificate's alternative names (upstream's GetClusterAltDNSNames): every enabled
 * default service, every additional managed service, then `spec.certificates.serverAltDNSNames`.
 */
export function clusterAltDNSNames(cluster: Cluster, domain = DEFAULT_CLUSTER_DOMAIN): string[] {
  const name = clusterName(cluster);
  const namespace = clusterNamespace(cluster);
  const services: [string, boolean][] = [
    [serviceReadWriteName(name), isDefaultServiceEnabled(cluster, 'rw')],
    [serviceReadName(name), isDefaultServiceEnabled(cluster, 'r')],
    [serviceReadOnlyName(name), isDefaultServiceEnabled(cluster, 'ro')],
    ...(cluster.spec.managed?.services?.additional ?? []).map((s): [string, boolean] => [
      s.serviceTemplate.metadata?.name ?? '',
      true,
    ]),
  ];
  return [
    ...services.flatMap(([service, enabled]) => (enabled && service ? serviceNames(service, namespace, domain) : [])),
    ...(cluster.spec.certificates?.serverAltDNSNames ?? []),
  ];
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

function ownedSecret(
  cluster: Cluster,
  name: string,
  type: string,
  data: Record<string, string>,
  opts: InheritanceOptions,
): SecretWithMeta {
  const metadata: V1ObjectMeta = {
    name,
    namespace: clusterNamespace(cluster),
    labels: { [LABELS.cluster]: clusterName(cluster), [LABELS.appManagedBy]: MANAGER_NAME },
  };
  setInheritedDataAndOwnership(metadata, cluster, opts);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata,
    type,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  };
}

/** A CA secret the operator generated. */
export function buildCASecret(cluster: Cluster, name: string, ca: KeyPair, opts: InheritanceOptions): SecretWithMeta {
  return ownedSecret(cluster, name, 'Opaque', { [CA_CERT_KEY]: ca.certPem, [CA_KEY_KEY]: ca.keyPem }, opts);
}

/** A certificate secret (server or client) the operator generated. */
export function buildTLSSecret(
  cluster: Cluster,
  name: string,
  pair: KeyPair,
  opts: InheritanceOptions,
): SecretWithMeta {
  return ownedSecret(
    cluster,
    name,
    'kubernetes.io/tls',
    { [TLS_CERT_KEY]: pair.certPem, [TLS_KEY_KEY]: pair.keyPem },
    opts,
  );
}

/** The text of `key` in a secret as read from the API server, or undefined. */
export function secretText(secret: V1Secret, key: string): string | undefined {
  const value = secret.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}
