// The Cluster's WAL archive as `cnpg instance wal-archive` and `wal-restore` see it: the object
// store of spec.backup.barmanObjectStore with its credentials read from the mounted Secrets, the
// barman-cloud layout under serverName, and the WAL options. Both commands are short-lived
// processes PostgreSQL starts, so this reads the Cluster file as is (no admission: start-up time
// counts per segment) and applies the one default it needs (serverName: the Cluster's name).
import { join } from 'node:path';
import type { BarmanObjectStoreConfiguration } from '../api/v1/barman-types.ts';
import { BarmanLayout } from '../objectstore/barman-layout.ts';
import { objectStoreFromConfiguration } from '../objectstore/configuration.ts';
import type { S3ObjectStore } from '../objectstore/s3-client.ts';
import { type Logger, componentLogger } from '../log/logger.ts';
import { readClusterFile } from './cluster-file.ts';
import { errorMessage, InstanceError } from './errors.ts';
import { readMountedKey } from './secrets.ts';

export interface ArchiveCluster {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: {
    backup?: { barmanObjectStore?: BarmanObjectStoreConfiguration };
    plugins?: { name?: string; isWALArchiver?: boolean; enabled?: boolean }[];
  };
}

/** Where WAL goes (an object store, a plugin), or undefined when the Cluster archives nothing. */
export function walArchiveDestination(cluster: ArchiveCluster): string | undefined {
  const spec = cluster.spec ?? {};
  if (spec.backup?.barmanObjectStore !== undefined) return 'spec.backup.barmanObjectStore';
  const plugin = (spec.plugins ?? []).find((p) => p.isWALArchiver === true && p.enabled !== false);
  return plugin === undefined ? undefined : `plugin "${plugin.name}"`;
}

export interface WalStoreOptions {
  clusterFile: string;
  /** Mounted Secrets: `<root>/<secret>/<key>` (the s3Credentials and endpointCA references). */
  secretsRoot?: string;
}

export interface WalStore {
  cluster: ArchiveCluster;
  config: BarmanObjectStoreConfiguration;
  store: S3ObjectStore;
  layout: BarmanLayout;
  maxParallel: number;
  log: Logger;
}

export function walLogger(cluster: ArchiveCluster, component: string): Logger {
  return componentLogger(component, {
    cluster: cluster.metadata?.name ?? '',
    namespace: cluster.metadata?.namespace ?? '',
    instance: process.env.POD_NAME ?? '',
  });
}

export function readArchiveCluster(clusterFile: string): ArchiveCluster {
  return readClusterFile(clusterFile) as ArchiveCluster;
}

/** The WAL archive of the Cluster; throws InstanceError naming what is missing or wrong. */
export function openWalStore(cluster: ArchiveCluster, options: WalStoreOptions, component: string): WalStore {
  const config = cluster.spec?.backup?.barmanObjectStore;
  if (config === undefined) throw new InstanceError('the Cluster has no spec.backup.barmanObjectStore');
  const name = cluster.metadata?.name;
  const serverName = config.serverName ?? name;
  if (serverName === undefined || serverName === '') {
    throw new InstanceError(
      `the Cluster file ${options.clusterFile} names no Cluster (metadata.name) and no serverName`,
    );
  }
  const readSecret = (secret: string, key: string, field: string): string => {
    if (options.secretsRoot === undefined) {
      throw new InstanceError(`${field} refers to Secret "${secret}", but --secrets-root is not set`);
    }
    return readMountedKey(join(options.secretsRoot, secret), key, `${field} (Secret "${secret}", key "${key}")`);
  };
  try {
    const { store, destination } = objectStoreFromConfiguration(config, readSecret);
    return {
      cluster,
      config,
      store,
      layout: new BarmanLayout(destination.prefix, serverName),
      maxParallel: Math.max(1, config.wal?.maxParallel ?? 1),
      log: walLogger(cluster, component),
    };
  } catch (err) {
    if (err instanceof InstanceError) throw err;
    throw new InstanceError(errorMessage(err));
  }
}
