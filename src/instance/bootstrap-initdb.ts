// `cnpg instance init`: a new primary data directory from `bootstrap.initdb`. Every input (secrets,
// SQL references) is read before anything is created; the directory is built aside, configured by
// a temporary socket-only postmaster, and moved into place only when complete.
import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BootstrapInitDB } from '../api/v1/cluster-types.ts';
import { initdbArguments, initdbVersionNeeds } from '../postgres/initdb-options.ts';
import { quoteIdentifier, quoteLiteral } from '../postgres/quoting.ts';
import { runToolChecked } from '../postgres/tool-runner.ts';
import type { InstanceContext } from './context.ts';
import { ensureEmptyTarget, ensureScratchDirectories } from './data-directory.ts';
import { errorMessage, InstanceError } from './errors.ts';
import { createWorkDirectory, installWorkDirectory, removeStaleWorkDirectories } from './new-data-directory.ts';
import { writeConfiguration } from './pgdata-config.ts';
import { CHECK_EMPTY_WAL_ARCHIVE_FILE } from './wal-archive.ts';
import { Postmaster, waitUntilAccepting } from './postmaster.ts';
import { streamingReplicaSql, superuserPasswordSql } from './primary-setup.ts';
import { readBasicAuth, readSqlRefs } from './secrets.ts';

/** Settings of the temporary postmaster: reachable only through the socket, logging to stderr. */
export function temporaryInstanceSettings(ctx: InstanceContext): Record<string, string> {
  return {
    listen_addresses: '',
    unix_socket_directories: ctx.options.socketDir,
    port: String(ctx.options.pgPort),
    logging_collector: 'off',
    log_destination: 'stderr',
    archive_mode: 'off',
  };
}

interface InitPlan {
  initdb: BootstrapInitDB;
  database?: string;
  owner?: string;
  ownerPassword?: string;
  superuserPassword?: string;
  postInitSQL: string[];
  postInitTemplateSQL: string[];
  postInitApplicationSQL: string[];
}

/** Everything init needs, read up front so a missing secret fails before any directory exists. */
function planInit(ctx: InstanceContext): InitPlan {
  const bootstrap = ctx.cluster.spec.bootstrap;
  if (bootstrap?.recovery !== undefined || bootstrap?.pg_basebackup !== undefined) {
    const method = bootstrap.recovery !== undefined ? 'recovery' : 'pg_basebackup';
    throw new InstanceError(`bootstrap.${method} is not supported by "cnpg instance init" yet: only bootstrap.initdb`);
  }
  const initdb = bootstrap?.initdb ?? {};
  if (initdb.import !== undefined) throw new InstanceError('bootstrap.initdb.import is not supported yet');
  // Upstream admits these whatever the image; initdb would refuse them with a bare "unrecognized option".
  const running = ctx.pgVersion;
  const missing = initdbVersionNeeds(initdb).filter((n) => n.since > running.major);
  if (missing.length > 0) {
    const needs = missing.map((n) => {
      const field = `bootstrap.initdb.${n.field}${n.what === n.field ? '' : ` "${n.value}"`}`;
      return `${field} requires PostgreSQL ${n.since} or newer`;
    });
    throw new InstanceError(`${needs.join('; ')}, and this instance runs PostgreSQL ${running.text}`);
  }
  const roots = { secretsRoot: ctx.options.secretsRoot, configMapsRoot: ctx.options.configMapsRoot };
  const plan: InitPlan = {
    initdb,
    database: initdb.database,
    owner: initdb.owner ?? initdb.database,
    postInitSQL: [...(initdb.postInitSQL ?? []), ...readSqlRefs(initdb.postInitSQLRefs, 'postInitSQLRefs', roots)],
    postInitTemplateSQL: [
      ...(initdb.postInitTemplateSQL ?? []),
      ...readSqlRefs(initdb.postInitTemplateSQLRefs, 'postInitTemplateSQLRefs', roots),
    ],
    postInitApplicationSQL: [
      ...(initdb.postInitApplicationSQL ?? []),
      ...readSqlRefs(initdb.postInitApplicationSQLRefs, 'postInitApplicationSQLRefs', roots),
    ],
  };
  if (plan.owner !== undefined) {
    plan.ownerPassword = readBasicAuth(ctx.options.appSecretDir, 'the application secret', '--app-secret-dir').password;
  }
  if (ctx.cluster.spec.enableSuperuserAccess === true) {
    plan.superuserPassword = readBasicAuth(
      ctx.options.superuserSecretDir,
      'the superuser secret (enableSuperuserAccess is true)',
      '--superuser-secret-dir',
    ).password;
  }
  return plan;
}

async function configureNewInstance(ctx: InstanceContext, plan: InitPlan): Promise<void> {
  const { sql, log } = ctx;
  const run = async (what: string, script: string, database = 'postgres') => {
    try {
      await sql.exec(script, { database, timeoutMs: 120_000 });
    } catch (err) {
      throw new InstanceError(`${what}: ${errorMessage(err)}`);
    }
  };
  await run('creating the streaming_replica role', streamingReplicaSql());
  if (plan.owner !== undefined) {
    log.info({ owner: plan.owner }, 'creating the application owner');
    await run(
      `creating the role "${plan.owner}"`,
      `CREATE ROLE ${quoteIdentifier(plan.owner)} WITH LOGIN PASSWORD ${quoteLiteral(plan.ownerPassword ?? '')};`,
    );
  }
  await run('setting the superuser password', superuserPasswordSql(plan.superuserPassword));
  for (const [i, script] of plan.postInitSQL.entries()) await run(`postInitSQL #${i + 1}`, script);
  for (const [i, script] of plan.postInitTemplateSQL.entries()) {
    await run(`postInitTemplateSQL #${i + 1}`, script, 'template1');
  }
  if (plan.database !== undefined && plan.owner !== undefined) {
    log.info({ database: plan.database }, 'creating the application database');
    await run(
      `creating the database "${plan.database}"`,
      `CREATE DATABASE ${quoteIdentifier(plan.database)} OWNER ${quoteIdentifier(plan.owner)};`,
    );
    for (const [i, script] of plan.postInitApplicationSQL.entries()) {
      await run(`postInitApplicationSQL #${i + 1}`, script, plan.database);
    }
  }
}

export async function initInstance(ctx: InstanceContext): Promise<void> {
  const { options, log } = ctx;
  ensureEmptyTarget(options.pgdata, 'initialize a new instance');
  const plan = planInit(ctx);
  for (const stale of removeStaleWorkDirectories(options.pgdata))
    log.info({ dir: stale }, 'removed an interrupted attempt');
  ensureScratchDirectories({ ...options, logDir: ctx.logDir, certificatesDir: ctx.certificatesDir }, ctx.podUser);
  const work = createWorkDirectory(options.pgdata, ctx.podUser);
  let postmaster: Postmaster | undefined;
  try {
    const args = ['--username=postgres', '-D', work, ...initdbArguments(plan.initdb)];
    log.info({ args }, 'running initdb');
    await runToolChecked('initdb failed', join(ctx.binDir, 'initdb'), args, { user: ctx.podUser, timeoutMs: 300_000 });
    writeConfiguration(ctx, work, undefined);
    postmaster = Postmaster.start(ctx, work, temporaryInstanceSettings(ctx));
    await waitUntilAccepting(ctx, postmaster, 60_000);
    await configureNewInstance(ctx, plan);
    postmaster.requestShutdown('fast');
    if (!(await postmaster.waitForExit(120_000)))
      throw new InstanceError('the temporary instance did not stop within 120s');
    postmaster = undefined;
    // A new cluster: its first archive_command checks that the WAL archive is empty (wal-archive.ts).
    const flag = join(work, CHECK_EMPTY_WAL_ARCHIVE_FILE);
    writeFileSync(flag, '');
    // PostgreSQL's own tools (pg_rewind, pg_basebackup) open every file of PGDATA as the pod user.
    if (ctx.podUser !== undefined) chownSync(flag, ctx.podUser.uid, ctx.podUser.gid);
    installWorkDirectory(work, options.pgdata);
    log.info({ pgdata: options.pgdata }, 'instance initialized');
  } catch (err) {
    if (postmaster !== undefined) {
      postmaster.requestShutdown('immediate');
      await postmaster.waitForExit(10_000);
    }
    removeStaleWorkDirectories(options.pgdata);
    throw err instanceof InstanceError
      ? err
      : new InstanceError(`initializing ${options.pgdata}: ${errorMessage(err)}`);
  }
}
