// A base backup of this instance to the Cluster's object store (spec.backup.barmanObjectStore,
// opened by cluster-store.ts): the data section's compression, encryption, jobs and checkpoint,
// the tags, and a superuser session on the local socket. The backup runs as the OS user PostgreSQL runs as.
import type pg from 'pg';
import type { BarmanObjectStoreConfiguration } from '../../api/v1/barman-types.ts';
import { connectLocalSession } from '../../postgres/local-session.ts';
import { type ClusterStore, openClusterStore } from '../cluster-store.ts';
import type { InstanceContext } from '../context.ts';
import { InstanceError } from '../errors.ts';
import type { BackupInfo } from './backup-info.ts';
import { type BackupProgress, takeBaseBackup } from './base-backup.ts';
import { type BackupCatalog, listBaseBackups } from './catalog.ts';

const FIELD = 'spec.backup.barmanObjectStore';
/** As barman-cloud-backup names its session, so monitoring recognises backups. */
const APPLICATION_NAME = 'barman_cloud_backup';
const CONNECT_TIMEOUT_MS = 10_000;

/** The Cluster's store; a base backup's uploads send data.jobs parts at once. */
async function withStore<T>(
  ctx: InstanceContext,
  use: (config: BarmanObjectStoreConfiguration, cs: ClusterStore) => Promise<T>,
): Promise<T> {
  const config = ctx.cluster.spec.backup?.barmanObjectStore;
  if (config === undefined) throw new InstanceError(`the Cluster has no ${FIELD}: there is nowhere to back up to`);
  const cs = openClusterStore(config, {
    clusterName: ctx.clusterName,
    secretsRoot: ctx.options.secretsRoot,
    partConcurrency: config.data?.jobs,
  });
  try {
    return await use(config, cs);
  } finally {
    cs.store.close();
  }
}

/** A session on the local instance as `postgres`, through the Unix socket (peer authentication). */
async function connectLocal(ctx: InstanceContext): Promise<pg.Client> {
  try {
    return await connectLocalSession({
      socketDir: ctx.options.socketDir,
      port: ctx.options.pgPort,
      database: 'postgres',
      applicationName: APPLICATION_NAME,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    });
  } catch (err) {
    throw new InstanceError(
      `cannot connect to the local PostgreSQL through ${ctx.options.socketDir}: ${(err as Error).message}`,
    );
  }
}

export interface ClusterBackupRequest {
  backupName?: string;
  /** Overrides data.immediateCheckpoint. */
  immediateCheckpoint?: boolean;
  onProgress?: (progress: BackupProgress) => void;
}

/** Takes a base backup of the local instance to the Cluster's object store. */
export async function backupToClusterStore(ctx: InstanceContext, req: ClusterBackupRequest): Promise<BackupInfo> {
  return withStore(ctx, (config, { store, layout, serverName }) => {
    const data = config.data ?? {};
    return takeBaseBackup({
      store,
      layout,
      backupName: req.backupName,
      compression: data.compression,
      encryption: data.encryption,
      tags: config.tags,
      immediateCheckpoint: req.immediateCheckpoint ?? data.immediateCheckpoint ?? false,
      connect: () => connectLocal(ctx),
      log: ctx.log.child({ serverName, destinationPath: config.destinationPath }),
      onProgress: req.onProgress,
    });
  });
}

/** The base backups in the Cluster's object store. */
export async function listClusterBackups(ctx: InstanceContext): Promise<BackupCatalog> {
  return withStore(ctx, (_config, { store, layout }) => listBaseBackups(store, layout));
}
