// How a pod configures its instance manager: flags, with upstream's pod environment (PGDATA,
// POD_NAME, NAMESPACE, CLUSTER_NAME, PGPORT, PGHOST) as fallbacks. Everything else the manager
// needs comes from the Cluster (a file, or the API server) and the mounted Secrets/ConfigMaps.
// Under the local runtime, absolute paths resolve under the pod root (pod-paths.ts).
import { isAbsolute, join, resolve } from 'node:path';
import { InstanceError } from './errors.ts';
import { podListenAddress, podPath, podRoot } from './pod-paths.ts';

export interface InstanceOptions {
  pgdata: string;
  podName: string;
  clusterName?: string;
  namespace: string;
  /** The Cluster as a file; undefined: read (and watch) it through the API server. */
  clusterFile?: string;
  /** Address PostgreSQL and the status server listen on (`*` = every address, as in a pod). */
  listenAddress: string;
  pgPort: number;
  statusPort: number;
  /** The metrics exporter's port (upstream's 9187). */
  metricsPort: number;
  /** The exporter speaks HTTPS with the server certificate (upstream's --metrics-port-tls). */
  metricsTls: boolean;
  /** Upstream's /controller: holds run/ (socket), log/ (log pipes) and certificates/. */
  scratchDir: string;
  socketDir: string;
  pgBinDir?: string;
  appSecretDir?: string;
  superuserSecretDir?: string;
  /** `<root>/<secret name>/<key>`, as Kubernetes projects Secrets. */
  secretsRoot?: string;
  configMapsRoot?: string;
  /** Where a replica streams from: upstream's `<cluster>-rw` service. */
  primaryHost?: string;
  primaryPort: number;
  /** The `cnpg` executable PostgreSQL calls back (archive_command). */
  managerCommand: string;
}

/** Raw option values as commander hands them over (strings; env already applied). */
export interface RawInstanceOptions {
  pgdata?: string;
  podName?: string;
  clusterName?: string;
  namespace?: string;
  clusterFile?: string;
  listenAddress?: string;
  pgPort?: string;
  statusPort?: string;
  metricsPort?: string;
  metricsPortTls?: boolean;
  scratchDir?: string;
  socketDir?: string;
  pgBinDir?: string;
  appSecretDir?: string;
  superuserSecretDir?: string;
  secretsRoot?: string;
  configmapsRoot?: string;
  primaryHost?: string;
  primaryPort?: string;
  managerCommand?: string;
}

function required(value: string | undefined, flag: string, env?: string): string {
  if (value === undefined || value === '') {
    throw new InstanceError(`missing ${flag}${env === undefined ? '' : ` (or the ${env} environment variable)`}`);
  }
  return value;
}

function port(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new InstanceError(`invalid ${flag} "${value}": expected a port number between 1 and 65535`);
  }
  return n;
}

/** The manager as the pod sees it: upstream's bootstrap container copies it to /controller/manager. */
export const POD_MANAGER_PATH = '/controller/manager';

export function resolveInstanceOptions(
  raw: RawInstanceOptions,
  defaultManagerCommand: string,
  env: NodeJS.ProcessEnv = process.env,
): InstanceOptions {
  const inPod = (p: string) => resolve(podPath(p, env));
  const absolute = (p: string | undefined): string | undefined => (p === undefined || p === '' ? undefined : inPod(p));
  const scratchDir = inPod(raw.scratchDir ?? '/controller');
  const pgHost = env.PGHOST;
  const socketDir =
    absolute(raw.socketDir) ?? (pgHost !== undefined && isAbsolute(pgHost) ? inPod(pgHost) : join(scratchDir, 'run'));
  const clusterName = raw.clusterName === '' ? undefined : raw.clusterName;
  const clusterFile = absolute(raw.clusterFile);
  if (clusterFile === undefined && clusterName === undefined) {
    throw new InstanceError(
      'missing --cluster-file, or --cluster-name (or the CLUSTER_NAME environment variable) ' +
        'to read the Cluster from the API server',
    );
  }
  return {
    pgdata: inPod(required(raw.pgdata, '--pgdata', 'PGDATA')),
    podName: required(raw.podName, '--pod-name', 'POD_NAME'),
    clusterName,
    namespace: raw.namespace === undefined || raw.namespace === '' ? 'default' : raw.namespace,
    clusterFile,
    listenAddress: raw.listenAddress ?? podListenAddress(env),
    pgPort: port(raw.pgPort, 5432, '--pg-port'),
    statusPort: port(raw.statusPort, 8000, '--status-port'),
    metricsPort: port(raw.metricsPort, 9187, '--metrics-port'),
    metricsTls: raw.metricsPortTls === true,
    scratchDir,
    socketDir,
    // The image's binaries: the local runtime puts the installed ones on PATH, never under the pod root.
    pgBinDir: raw.pgBinDir ? resolve(raw.pgBinDir) : undefined,
    appSecretDir: absolute(raw.appSecretDir),
    superuserSecretDir: absolute(raw.superuserSecretDir),
    secretsRoot: absolute(raw.secretsRoot),
    configMapsRoot: absolute(raw.configmapsRoot),
    primaryHost: raw.primaryHost === '' ? undefined : raw.primaryHost,
    primaryPort: port(raw.primaryPort, 5432, '--primary-port'),
    managerCommand:
      raw.managerCommand ?? (podRoot(env) === undefined ? defaultManagerCommand : inPod(POD_MANAGER_PATH)),
  };
}
