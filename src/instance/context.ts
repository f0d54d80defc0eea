// Everything a command of the instance manager works with, resolved once: options, the admitted
// Cluster and where it comes from, PostgreSQL's binaries and version, the OS user PostgreSQL runs
// as, and the logger.
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from '../api/v1/cluster-types.ts';
import { componentLogger, type Logger } from '../log/logger.ts';
import { type PostgresVersion, postgresVersion, resolvePgBinDir } from '../postgres/binaries.ts';
import type { ConfigPlacement } from '../postgres/configuration.ts';
import { LocalSql } from '../postgres/local-sql.ts';
import { type OsUser, podProcessUser } from '../postgres/os-user.ts';
import { type ClusterSource, clusterSourceFor } from './cluster-source.ts';
import { errorMessage, InstanceError } from './errors.ts';
import type { InstanceOptions } from './options.ts';
import { walArchiveDestination } from './wal-store.ts';

export const LOG_FILE_NAME = 'postgres';

export interface InstanceContext {
  options: InstanceOptions;
  source: ClusterSource;
  cluster: Cluster;
  /**
   * The Cluster file `instance wal-archive` (PostgreSQL's archive_command) reads: `--cluster-file`,
   * or a copy of the API server's Cluster the manager keeps in the scratch directory.
   */
  clusterFileForTools: string;
  clusterName: string;
  log: Logger;
  binDir: string;
  pgVersion: PostgresVersion;
  /** The user PostgreSQL and its tools run as when we are root; undefined when we are not. */
  podUser?: OsUser;
  /** The OS user name PostgreSQL runs as (mapped to `postgres` in pg_ident.conf). */
  osUserName: string;
  logDir: string;
  certificatesDir: string;
  sql: LocalSql;
}

export async function buildContext(options: InstanceOptions, command: string): Promise<InstanceContext> {
  const source = clusterSourceFor(options);
  const cluster = await source.load();
  const clusterName = cluster.metadata?.name ?? '';
  const log = componentLogger(
    'instance-manager',
    {
      cluster: clusterName,
      namespace: options.namespace,
      instance: options.podName,
      command,
    },
    { level: cluster.spec.logLevel },
  );
  let binDir: string;
  let pgVersion: PostgresVersion;
  let podUser: OsUser | undefined;
  try {
    binDir = resolvePgBinDir(options.pgBinDir);
    pgVersion = postgresVersion(binDir);
    podUser = podProcessUser();
  } catch (err) {
    throw new InstanceError(errorMessage(err));
  }
  const osUserName = podUser?.name ?? userInfo().username;
  return {
    options,
    source,
    cluster,
    clusterFileForTools: options.clusterFile ?? join(options.scratchDir, 'cluster.json'),
    clusterName,
    log,
    binDir,
    pgVersion,
    podUser,
    osUserName,
    logDir: join(options.scratchDir, 'log'),
    certificatesDir: join(options.scratchDir, 'certificates'),
    sql: new LocalSql({ binDir, socketDir: options.socketDir, port: options.pgPort, user: podUser }),
  };
}

/** The pod-specific half of the configuration. */
export function configPlacement(ctx: InstanceContext, tlsEnabled: boolean): ConfigPlacement {
  const o = ctx.options;
  return {
    pgMajor: ctx.pgVersion.major,
    listenAddresses: o.listenAddress,
    port: o.pgPort,
    socketDir: o.socketDir,
    logDir: ctx.logDir,
    logFileName: LOG_FILE_NAME,
    certificatesDir: ctx.certificatesDir,
    tlsEnabled,
    // Without a destination archiving is a no-op; a shell builtin spares PostgreSQL a process start
    // per WAL segment (and at every shutdown, which waits for the archiver).
    archiveCommand:
      walArchiveDestination(ctx.cluster) === undefined
        ? ':'
        : `${o.managerCommand} instance wal-archive --cluster-file ${ctx.clusterFileForTools} --scratch-dir ${o.scratchDir}${o.secretsRoot === undefined ? '' : ` --secrets-root ${o.secretsRoot}`} %p`,
  };
}

/** Sets the Cluster; a Cluster read from the API server is also copied where the tools read it. */
export function setCluster(ctx: InstanceContext, cluster: Cluster): void {
  ctx.cluster = cluster;
  if (ctx.options.clusterFile === undefined) {
    writeFileSync(ctx.clusterFileForTools, `${JSON.stringify(cluster)}\n`, { mode: 0o644 });
  }
}
