// `cnpg instance ...`: the instance manager's commands, configured the way a pod configures it
// (flags, with upstream's pod environment as fallbacks). Bad input ends with one `error:` line on
// stderr and exit status 1.
import { existsSync, readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet, type RequestOptions } from 'node:https';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command, Option } from 'commander';
import { initInstance } from '../instance/bootstrap-initdb.ts';
import { joinInstance } from '../instance/bootstrap-join.ts';
import { catalogEntry } from '../instance/backup/catalog.ts';
import { backupToClusterStore, listClusterBackups } from '../instance/backup/cluster-backup.ts';
import { buildContext, type InstanceContext } from '../instance/context.ts';
import { errorMessage, InstanceError } from '../instance/errors.ts';
import { type RawInstanceOptions, resolveInstanceOptions } from '../instance/options.ts';
import { defaultReplicaSource } from '../instance/pgdata-config.ts';
import { runInstance } from '../instance/run.ts';
import { podPath } from '../instance/pod-paths.ts';
import { CERTIFICATE_FILES, InstanceCertificates } from '../instance/tls.ts';
import { walArchive } from '../instance/wal-archive.ts';
import { walRestore } from '../instance/wal-restore.ts';

const DEFAULT_MANAGER_COMMAND = fileURLToPath(new URL('../../bin/cnpg', import.meta.url));

function addInstanceOptions(cmd: Command, withSource: boolean): Command {
  cmd
    .addOption(new Option('--pgdata <dir>', 'the PostgreSQL data directory').env('PGDATA'))
    .addOption(new Option('--pod-name <name>', 'the name of this instance (its pod)').env('POD_NAME'))
    .addOption(new Option('--cluster-name <name>', 'the Cluster this instance belongs to').env('CLUSTER_NAME'))
    .addOption(new Option('--namespace <namespace>', 'the namespace of the Cluster').env('NAMESPACE'))
    .option(
      '--cluster-file <file>',
      'the Cluster object (JSON or YAML); without it, the Cluster is read and watched through the API server',
    )
    .option(
      '--listen-address <address>',
      'address PostgreSQL and the status server listen on ("*": all; default $CNPG_POD_IP, else "*")',
    )
    .addOption(new Option('--pg-port <port>', 'PostgreSQL port').env('PGPORT'))
    .option('--status-port <port>', 'port of the status/probe HTTP server', '8000')
    .option('--scratch-dir <dir>', "the instance's scratch directory (upstream /controller)", '/controller')
    .option('--socket-dir <dir>', 'Unix socket directory (default: $PGHOST if absolute, else <scratch-dir>/run)')
    .option(
      '--pg-bin-dir <dir>',
      'PostgreSQL binaries (default: PATH, then the newest /usr/lib/postgresql/<major>/bin)',
    )
    .option('--app-secret-dir <dir>', 'the mounted application Secret (keys: username, password)')
    .option('--superuser-secret-dir <dir>', 'the mounted superuser Secret (keys: username, password)')
    .option('--secrets-root <dir>', 'mounted Secrets referenced by the Cluster: <dir>/<secret>/<key>')
    .option('--configmaps-root <dir>', 'mounted ConfigMaps referenced by the Cluster: <dir>/<configmap>/<key>')
    .option('--manager-command <path>', 'the cnpg executable PostgreSQL calls back (archive_command)');
  if (withSource) {
    cmd
      .option('--primary-host <host>', 'host a replica streams from (default: <cluster>-rw)')
      .option('--primary-port <port>', 'port of the primary', '5432');
  }
  return cmd;
}

/** Runs a command body; an InstanceError becomes one `error:` line and exit status 1. */
async function guarded(body: () => Promise<number | undefined>): Promise<void> {
  try {
    process.exitCode = (await body()) ?? 0;
  } catch (err) {
    const prefix = err instanceof InstanceError ? 'error' : 'error: unexpected failure';
    process.stderr.write(`${prefix}: ${errorMessage(err).split('\n').join(' ')}\n`);
    process.exitCode = 1;
  }
}

/** The server CA the manager installs in the pod's scratch directory (tls.ts). */
const DEFAULT_STATUS_CA = `/controller/certificates/${CERTIFICATE_FILES.serverCA}`;

interface StatusResponse {
  url: string;
  status: number;
  text: string;
}

function get(url: string, tls: RequestOptions | undefined): Promise<StatusResponse> {
  return new Promise((resolve, reject) => {
    const req = (tls === undefined ? httpGet : httpsGet)(url, { ...tls, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ url, status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
  });
}

/**
 * `GET /pg/status` as upstream's `instance status` does it: HTTPS first, verified against the
 * pod's server CA (the chain only: the certificate names the pod and its services, not the
 * address used here), then plain HTTP when the server turns out not to speak TLS (an instance
 * without certificates).
 */
async function getStatus(host: string, port: string, caFile: string): Promise<StatusResponse> {
  const path = `${host}:${port}/pg/status`;
  const ca = existsSync(caFile) ? readFileSync(caFile, 'utf8') : undefined;
  try {
    return await get(`https://${path}`, { ca, checkServerIdentity: () => undefined });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const notTls = code === 'EPROTO' || code === 'ERR_SSL_WRONG_VERSION_NUMBER';
    if (!notTls) throw new InstanceError(`cannot reach https://${path}: ${errorMessage(err)}`);
  }
  try {
    return await get(`http://${path}`, undefined);
  } catch (err) {
    throw new InstanceError(`cannot reach http://${path}: ${errorMessage(err)}`);
  }
}

const options = (raw: RawInstanceOptions) => resolveInstanceOptions(raw, DEFAULT_MANAGER_COMMAND);

/** A backup reads PGDATA and signs in by peer authentication: as root, become the pod user first. */
function becomePodUser(ctx: InstanceContext): void {
  if (ctx.podUser === undefined) return;
  process.setgid?.(ctx.podUser.gid);
  process.setuid?.(ctx.podUser.uid);
}

const PROGRESS_LOG_INTERVAL_MS = 10_000;

export function registerInstanceCommand(program: Command): void {
  const instance = program.command('instance').description('the instance manager: PID 1 of every PostgreSQL pod');

  addInstanceOptions(instance.command('init'), false)
    .description('create a new primary data directory from the Cluster bootstrap.initdb stanza')
    .action((raw: RawInstanceOptions) =>
      guarded(async () => {
        await initInstance(await buildContext(options(raw), 'init'));
        return 0;
      }),
    );

  addInstanceOptions(instance.command('join'), true)
    .description('create a replica data directory by pg_basebackup from the primary')
    .action((raw: RawInstanceOptions) =>
      guarded(async () => {
        const ctx = await buildContext(options(raw), 'join');
        // The clone authenticates with the replication certificate, as the replicas stream.
        await InstanceCertificates.install(ctx);
        await joinInstance(ctx, defaultReplicaSource(ctx));
        return 0;
      }),
    );

  addInstanceOptions(instance.command('run'), true)
    .option('--metrics-port <port>', 'port of the Prometheus metrics exporter', '9187')
    .option('--metrics-port-tls', 'serve metrics over HTTPS with the server certificate (monitoring.tls.enabled)')
    .description('run PostgreSQL: supervise it, serve probes, status and metrics, stop it in stages on SIGTERM')
    .action((raw: RawInstanceOptions) =>
      guarded(async () => {
        const code = await runInstance(await buildContext(options(raw), 'run'));
        // Child processes' pipes may still be referenced: the manager is done, so is the process.
        process.exit(code);
      }),
    );

  addInstanceOptions(instance.command('backup'), false)
    .description(
      "take a base backup of the running local instance to the Cluster's barmanObjectStore (barman-cloud's layout); prints its backup.info fields as JSON",
    )
    .option('--backup-name <name>', 'the name recorded in backup.info (upstream: the Backup object)')
    .option('--immediate-checkpoint', 'start with an immediate checkpoint (default: data.immediateCheckpoint)')
    .action((raw: RawInstanceOptions & { backupName?: string; immediateCheckpoint?: boolean }) =>
      guarded(async () => {
        const ctx = await buildContext(options(raw), 'backup');
        becomePodUser(ctx);
        let lastLog = 0;
        const info = await backupToClusterStore(ctx, {
          backupName: raw.backupName,
          immediateCheckpoint: raw.immediateCheckpoint,
          onProgress: (p) => {
            if (p.phase !== 'copying' || Date.now() - lastLog < PROGRESS_LOG_INTERVAL_MS) return;
            lastLog = Date.now();
            ctx.log.info({ backupId: p.backupId, bytesRead: p.bytesRead, bytesTotal: p.bytesTotal }, 'backup progress');
          },
        });
        process.stdout.write(`${JSON.stringify(catalogEntry(info))}\n`);
        return 0;
      }),
    );

  addInstanceOptions(instance.command('backup-list'), false)
    .description("list the base backups in the Cluster's barmanObjectStore (ours and barman-cloud-backup's) as JSON")
    .action((raw: RawInstanceOptions) =>
      guarded(async () => {
        const ctx = await buildContext(options(raw), 'backup-list');
        const catalog = await listClusterBackups(ctx);
        for (const u of catalog.unreadable)
          ctx.log.warn({ backupId: u.backupId, err: u.error }, 'unreadable backup.info');
        process.stdout.write(`${JSON.stringify({ backups_list: catalog.backups.map(catalogEntry) })}\n`);
        return 0;
      }),
    );

  instance
    .command('status')
    .description('print the /pg/status JSON of a running instance')
    .option('--host <host>', 'address of the instance', '127.0.0.1')
    .option('--status-port <port>', 'its status port', '8000')
    .option('--ca-file <file>', "the CA of the instance's server certificate", DEFAULT_STATUS_CA)
    .action((opts: { host: string; statusPort: string; caFile: string }) =>
      guarded(async () => {
        const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
        const response = await getStatus(host, opts.statusPort, podPath(opts.caFile));
        if (response.status !== 200) {
          throw new InstanceError(`${response.url} answered ${response.status}: ${response.text.trim()}`);
        }
        process.stdout.write(`${JSON.stringify(JSON.parse(response.text), null, 2)}\n`);
        return 0;
      }),
    );

  instance
    .command('wal-archive')
    .description("PostgreSQL's archive_command: upload a WAL file to the Cluster's object store (none: no-op)")
    .requiredOption('--cluster-file <file>', 'the Cluster object')
    .option('--secrets-root <dir>', 'mounted Secrets referenced by the Cluster: <dir>/<secret>/<key>')
    .option(
      '--scratch-dir <dir>',
      "the instance's scratch directory (spool of segments archived ahead; default /controller)",
    )
    .option('--pgdata <dir>', "the data directory (default: the working directory, as PostgreSQL's archiver runs it)")
    .argument('<wal-path>', 'the WAL file PostgreSQL asks to archive (%p)')
    .action((walPath: string, opts: WalCommandOptions) =>
      guarded(async () => {
        await walArchive({ ...walCommandPaths(opts, 'wal-archive-spool'), walPath });
        return 0;
      }),
    );

  instance
    .command('wal-restore')
    .description("PostgreSQL's restore_command: fetch a WAL file from the Cluster's object store")
    .requiredOption('--cluster-file <file>', 'the Cluster object')
    .option('--secrets-root <dir>', 'mounted Secrets referenced by the Cluster: <dir>/<secret>/<key>')
    .option(
      '--scratch-dir <dir>',
      "the instance's scratch directory (spool of prefetched segments; default /controller)",
    )
    .option('--pgdata <dir>', 'the data directory (default: the working directory, as PostgreSQL runs it)')
    .argument('<wal-name>', 'the file PostgreSQL wants (%f)')
    .argument('<destination>', 'where to write it (%p)')
    .action((walName: string, destination: string, opts: WalCommandOptions) =>
      guarded(async () => {
        await walRestore({ ...walCommandPaths(opts, 'wal-restore-spool'), walName, destination });
        return 0;
      }),
    );
}

interface WalCommandOptions {
  clusterFile: string;
  secretsRoot?: string;
  scratchDir?: string;
  pgdata?: string;
}

/** Paths given as flags are this machine's (as the manager writes them); the default scratch directory is the pod's. */
function walCommandPaths(opts: WalCommandOptions, spool: string) {
  return {
    clusterFile: resolve(opts.clusterFile),
    secretsRoot: opts.secretsRoot === undefined ? undefined : resolve(opts.secretsRoot),
    pgdata: resolve(opts.pgdata ?? process.cwd()),
    spoolDir: join(opts.scratchDir === undefined ? podPath('/controller') : resolve(opts.scratchDir), spool),
  };
}
