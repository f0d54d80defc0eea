// Writes the configuration files of a data directory from the Cluster and this pod's placement,
// and says whether anything changed. Run before every postmaster start (pg_basebackup and
// pg_rewind copy the source's files over ours) and on every configuration reload.
import { chownSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Cluster } from '../api/v1/cluster-types.ts';
import {
  CUSTOM_CONF,
  HBA_CONF,
  IDENT_CONF,
  OVERRIDE_CONF,
  postgresParameters,
  renderCustomConf,
  renderHba,
  renderIdent,
  renderOverrideConf,
  STANDBY_SIGNAL,
  STREAMING_REPLICA_USER,
  haSlotPrefix,
  slotNameForInstance,
  withIncludes,
} from '../postgres/configuration.ts';
import { expandHbaRules, selectorAddresses } from '../postgres/pg-hba-expansion.ts';
import { buildConninfo } from '../postgres/quoting.ts';
import { configPlacement, type InstanceContext } from './context.ts';

export interface ReplicaSource {
  host: string;
  port: number;
}

export interface WrittenConfiguration {
  changed: boolean;
  /** The checksum PostgreSQL reports as cnpg.config_sha256 once it has loaded custom.conf. */
  sha256: string;
}

export function tlsMaterialPresent(ctx: InstanceContext): boolean {
  return ['server.crt', 'server.key'].every((f) => existsSync(join(ctx.certificatesDir, f)));
}

/** The HA replication slot this instance streams through, or undefined when HA slots are off. */
export function replicationSlotFor(cluster: Cluster, instanceName: string): string | undefined {
  if (cluster.spec.replicationSlots?.highAvailability?.enabled === false) return undefined;
  return slotNameForInstance(haSlotPrefix(cluster), instanceName);
}

export function defaultReplicaSource(ctx: InstanceContext): ReplicaSource {
  return { host: ctx.options.primaryHost ?? `${ctx.clusterName}-rw`, port: ctx.options.primaryPort };
}

/**
 * libpq connection string a replica (or pg_basebackup / pg_rewind) uses to reach its source. With
 * certificates: verify-full against `<cluster>-rw`, which the server certificate names; a source
 * given as an address (the service's cluster IP where there is no cluster DNS, a pod's IP) is
 * dialled through `hostaddr` while the certificate is still checked against the name.
 */
export function primaryConninfo(ctx: InstanceContext, source: ReplicaSource, dbname = 'postgres'): string {
  const tls = tlsMaterialPresent(ctx);
  const byAddress = tls && isIP(source.host) !== 0;
  return buildConninfo({
    host: byAddress ? `${ctx.clusterName}-rw` : source.host,
    hostaddr: byAddress ? source.host : undefined,
    port: source.port,
    user: STREAMING_REPLICA_USER,
    dbname,
    application_name: ctx.options.podName,
    sslmode: tls ? 'verify-full' : 'disable',
    sslcert: tls ? join(ctx.certificatesDir, 'streaming_replica.crt') : undefined,
    sslkey: tls ? join(ctx.certificatesDir, 'streaming_replica.key') : undefined,
    sslrootcert: tls ? join(ctx.certificatesDir, 'server-ca.crt') : undefined,
    connect_timeout: 5,
  });
}

/** Writes `content` if it differs; returns whether it did. */
function install(ctx: InstanceContext, path: string, content: string): boolean {
  let current: string | undefined;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === content) return false;
  writeFileSync(path, content, { mode: 0o600 });
  if (ctx.podUser !== undefined) chownSync(path, ctx.podUser.uid, ctx.podUser.gid);
  return true;
}

/**
 * Installs every configuration file in `pgdata`. `replicaOf` set makes it a standby of that source
 * (override.conf + standby.signal); undefined makes it a primary.
 */
export function writeConfiguration(
  ctx: InstanceContext,
  pgdata: string,
  replicaOf: ReplicaSource | undefined,
  overrides: { cluster?: Cluster } = {},
): WrittenConfiguration {
  const cluster = overrides.cluster ?? ctx.cluster;
  const tls = tlsMaterialPresent(ctx);
  const placement = configPlacement(ctx, tls);
  const custom = renderCustomConf(postgresParameters(cluster, placement));
  const pg = cluster.spec.postgresql;
  // recovery_target_timeline needs a restart to change: keep it on primaries too, so that a
  // promotion does not leave a pending restart behind (`latest` is PostgreSQL's default anyway).
  const replication: Record<string, string> = { recovery_target_timeline: 'latest' };
  if (replicaOf !== undefined) {
    replication.primary_conninfo = primaryConninfo(ctx, replicaOf);
    const slot = replicationSlotFor(cluster, ctx.options.podName);
    if (slot !== undefined) replication.primary_slot_name = slot;
  }
  // `${podselector:NAME}` follows the pods the operator resolved into the status: a change of
  // their addresses rewrites pg_hba.conf, and the reload that follows applies it.
  const hbaRules = expandHbaRules(pg?.pg_hba ?? [], selectorAddresses(cluster));
  const mainConf = join(pgdata, 'postgresql.conf');
  const currentMain = existsSync(mainConf) ? readFileSync(mainConf, 'utf8') : '';
  const results = [
    install(ctx, mainConf, withIncludes(currentMain)),
    install(ctx, join(pgdata, CUSTOM_CONF), custom.text),
    install(ctx, join(pgdata, OVERRIDE_CONF), renderOverrideConf(replication)),
    install(ctx, join(pgdata, HBA_CONF), renderHba(hbaRules, ctx.pgVersion.major, tls)),
    install(ctx, join(pgdata, IDENT_CONF), renderIdent(ctx.osUserName, pg?.pg_ident ?? [])),
  ];
  const signal = join(pgdata, STANDBY_SIGNAL);
  if (replicaOf !== undefined && !existsSync(signal)) {
    results.push(install(ctx, signal, ''));
  } else if (replicaOf === undefined && existsSync(signal)) {
    rmSync(signal);
    results.push(true);
  }
  return { changed: results.some(Boolean), sha256: custom.sha256 };
}

export const isStandbyDataDirectory = (pgdata: string): boolean => existsSync(join(pgdata, STANDBY_SIGNAL));
