// How a pod configures its instance manager: flags, with upstream's pod environment (PGDATA,
// POD_NAME, NAMESPACE, CLUSTER_NAME, PGPORT, PGHOST) as fallbacks. Everything else the manager
// needs comes from the Cluster file and the mounted Secrets/ConfigMaps.
import { isAbsolute, join, resolve } from 'node:path';
import { InstanceError } from './errors.ts';

export interface InstanceOptions {
  pgdata: string;
  podName: string;
  clusterName?: string;
  namespace: string;
  clusterFile: string;
  /** Address PostgreSQL and the status server listen on (`*` = every address, as in a pod). */
  listenAddress: string;
  pgPort: number;
  statusPort: number;
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

const absolute = (p: string | undefined): string | undefined => (p === undefined || p === '' ? undefined : resolve(p));

export function resolveInstanceOptions(raw: RawInstanceOptions, defaultManagerCommand: string): InstanceOptions {
  const scratchDir = resolve(raw.scratchDir ?? '/controller');
  const pgHost = process.env.PGHOST;
  const socketDir =
    absolute(raw.socketDir) ?? (pgHost !== undefined && isAbsolute(pgHost) ? pgHost : join(scratchDir, 'run'));
  return {
    pgdata: resolve(required(raw.pgdata, '--pgdata', 'PGDATA')),
    podName: required(raw.podName, '--pod-name', 'POD_NAME'),
    clusterName: raw.clusterName === '' ? undefined : raw.clusterName,
    namespace: raw.namespace === undefined || raw.namespace === '' ? 'default' : raw.namespace,
    clusterFile: resolve(required(raw.clusterFile, '--cluster-file')),
    listenAddress: raw.listenAddress ?? '*',
    pgPort: port(raw.pgPort, 5432, '--pg-port'),
    statusPort: port(raw.statusPort, 8000, '--status-port'),
    scratchDir,
    socketDir,
    pgBinDir: absolute(raw.pgBinDir),
    appSecretDir: absolute(raw.appSecretDir),
    superuserSecretDir: absolute(raw.superuserSecretDir),
    secretsRoot: absolute(raw.secretsRoot),
    configMapsRoot: absolute(raw.configmapsRoot),
    primaryHost: raw.primaryHost === '' ? undefined : raw.primaryHost,
    primaryPort: port(raw.primaryPort, 5432, '--primary-port'),
    managerCommand: raw.managerCommand ?? defaultManagerCommand,
  };
}
