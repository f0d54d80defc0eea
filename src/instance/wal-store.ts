// The Cluster's WAL archive as `cnpg instance wal-archive` and `wal-restore` see it: the object
// store of spec.backup.barmanObjectStore (cluster-store.ts) and the WAL options. Both commands are short-lived
// processes PostgreSQL starts, so this reads the Cluster file as is (no admission: start-up time
// counts per segment) and applies the one default it needs (serverName: the Cluster's name).
import type { BarmanObjectStoreConfiguration } from '../api/v1/barman-types.ts';
import type { BarmanLayout } from '../objectstore/barman-layout.ts';
import type { S3ObjectStore } from '../objectstore/s3-client.ts';
import { type Logger, componentLogger } from '../log/logger.ts';
import { readClusterFile } from './cluster-file.ts';
import { openClusterStore } from './cluster-store.ts';
import { InstanceError } from './errors.ts';

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
  const { store, layout } = openClusterStore(config, { clusterName: serverName, secretsRoot: options.secretsRoot });
  return {
    cluster,
    config,
    store,
    layout,
    maxParallel: Math.max(1, config.wal?.maxParallel ?? 1),
    log: walLogger(cluster, component),
  };
}
