// A base backup of this instance to the Cluster's object store (spec.backup.barmanObjectStore):
// the store and its credentials from the mounted Secrets, the server name (serverName, else the
// Cluster's name), the data section's compression, encryption, checkpoint and tags, and a
// superuser session on the local socket. The backup runs as the OS user PostgreSQL runs as.
import { join } from 'node:path';
import pg from 'pg';
import { BarmanLayout } from '../../objectstore/barman-layout.ts';
import { objectStoreFromConfiguration, ObjectStoreConfigError } from '../../objectstore/configuration.ts';
import type { InstanceContext } from '../context.ts';
import { InstanceError } from '../errors.ts';
import { readMountedKey } from '../secrets.ts';
import type { BackupInfo } from './backup-info.ts';
import { type BackupProgress, takeBaseBackup } from './base-backup.ts';
import { type BackupCatalog, listBaseBackups } from './catalog.ts';

const FIELD = 'spec.backup.barmanObjectStore';
/** As barman-cloud-backup names its session, so monitoring recognises backups. */
const APPLICATION_NAME = 'barman_cloud_backup';
const CONNECT_TIMEOUT_MS = 10_000;

function storeOf(ctx: InstanceContext) {
  const config = ctx.cluster.spec.backup?.barmanObjectStore;
  if (config === undefined) throw new InstanceError(`the Cluster has no ${FIELD}: there is nowhere to back up to`);
  const root = ctx.options.secretsRoot;
  try {
    const { store, destination } = objectStoreFromConfiguration(config, (name, key, field) => {
      if (root === undefined)
        throw new InstanceError(`${field} refers to Secret "${name}", but --secrets-root is not set`);
      return readMountedKey(join(root, name), key, `${field} (Secret "${name}", key "${key}")`);
    });
    return { config, store, destination, serverName: config.serverName ?? ctx.clusterName };
  } catch (err) {
    if (err instanceof ObjectStoreConfigError) throw new InstanceError(err.message);
    throw err;
  }
}

/** A session on the local instance as `postgres`, through the Unix socket (peer authentication). */
async function connectLocal(ctx: InstanceContext): Promise<pg.Client> {
  const client = new pg.Client({
    host: ctx.options.socketDir,
    port: ctx.options.pgPort,
    user: 'postgres',
    database: 'postgres',
    application_name: APPLICATION_NAME,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    types: { getTypeParser: () => (value: string) => value },
  });
  // A broken session fails the query in flight; it must not crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new InstanceError(
      `cannot connect to the local PostgreSQL through ${ctx.options.socketDir}: ${(err as Error).message}`,
    );
  }
  return client;
}

export interface ClusterBackupRequest {
  backupName?: string;
  /** Overrides data.immediateCheckpoint. */
  immediateCheckpoint?: boolean;
  onProgress?: (progress: BackupProgress) => void;
}

/** Takes a base backup of the local instance to the Cluster's object store. */
export async function backupToClusterStore(ctx: InstanceContext, req: ClusterBackupRequest): Promise<BackupInfo> {
  const { config, store, destination, serverName } = storeOf(ctx);
  const data = config.data ?? {};
  return takeBaseBackup({
    store,
    layout: new BarmanLayout(destination.prefix, serverName),
    backupName: req.backupName,
    compression: data.compression,
    encryption: data.encryption,
    tags: config.tags,
    immediateCheckpoint: req.immediateCheckpoint ?? data.immediateCheckpoint ?? false,
    connect: () => connectLocal(ctx),
    log: ctx.log.child({ serverName, destinationPath: config.destinationPath }),
    onProgress: req.onProgress,
  });
}

/** The base backups in the Cluster's object store. */
export async function listClusterBackups(ctx: InstanceContext): Promise<BackupCatalog> {
  const { store, destination, serverName } = storeOf(ctx);
  return listBaseBackups(store, new BarmanLayout(destination.prefix, serverName));
}
