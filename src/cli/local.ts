// `cnpg local ...`: the embedded local runtime. `up` starts it in the background (one daemon per
// data directory), installs the CRDs and the operator (a pod, from the Deployment we ship) and
// applies files; `status`, `logs` and `down` look after it; `daemon` is the background process.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { CoreV1Api, KubeConfig, type KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { componentLogger } from '../log/logger.ts';
import type { Cluster } from '../api/v1/cluster-types.ts';
import { GROUP } from '../api/v1/kind-definition.ts';
import {
  applyObject,
  clusterPhase,
  deploymentFailure,
  installCrds,
  notReconciledReason,
  objectReady,
  objectRef,
  readManifests,
  refusedObjects,
  WAITED_KINDS,
} from '../local/apply.ts';
import {
  dataDirProblem,
  defaultDataDir,
  removeDaemonState,
  runningDaemon,
  startDaemon,
  stopDaemon,
  writeDaemonState,
} from '../local/daemon.ts';
import { defaultImageMapping } from '../local/node/image-map.ts';
import { reapOrphanProcesses } from '../local/node/node-agent.ts';
import { startLocalRuntime } from '../local/runtime.ts';
import { PHASES } from '../api/v1/cluster-phases.ts';
import {
  OPERATOR_DEPLOYMENT,
  OPERATOR_NAMESPACE,
  operatorDeployment,
  operatorManifests,
} from '../operator/install/manifests.ts';
import {
  applicationDatabaseName,
  applicationDatabaseOwner,
  applicationSecretName,
  serviceReadWriteName,
} from '../operator/specs/names.ts';

interface Out {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

const out: Out = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};

/** A one-line failure: the message, exit code 1, no stack trace. */
class CliError extends Error {}

function localCommand(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'local') ??
    program
      .command('local')
      .description('the embedded local runtime: an API server, pods as processes, a service proxy')
  );
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function seconds(value: string): number {
  const m = /^(\d+)(s|m)?$/.exec(value);
  if (!m) throw new InvalidArgumentError(`"${value}" is not a duration (e.g. 90s, 5m)`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}

const dataDirOf = (opts: { dataDir?: string }): string => resolve(opts.dataDir ?? defaultDataDir());

function kubeConfigOf(kubeconfig: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc;
}

async function run(action: () => Promise<number | undefined>): Promise<void> {
  try {
    process.exitCode = (await action()) ?? 0;
  } catch (err) {
    out.stderr(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}

interface UpOptions {
  dataDir?: string;
  filename?: string[];
  wait?: boolean;
  timeout: number;
}

async function up(opts: UpOptions): Promise<number> {
  const dataDir = dataDirOf(opts);
  // Every file is read and our kinds admitted before anything starts: bad input leaves nothing behind.
  const manifests = readManifests(opts.filename ?? []);
  const refused = refusedObjects(manifests);
  for (const { file, object, message } of refused) out.stderr(`error: ${file}: ${objectRef(object)}: ${message}`);
  if (refused.length > 0) {
    throw new CliError(`nothing applied: ${refused.length} of ${manifests.length} documents refused (see above)`);
  }
  const problem = dataDirProblem(dataDir);
  if (problem !== undefined) throw new CliError(problem);
  let state = runningDaemon(dataDir);
  if (state === undefined) {
    mkdirSync(dataDir, { recursive: true, mode: 0o755 });
    state = await startDaemon(dataDir);
    out.stdout(`local runtime started (pid ${state.pid}, API server ${state.url})`);
  } else {
    out.stdout(`local runtime already running (pid ${state.pid}, API server ${state.url})`);
  }
  out.stdout(defaultImageMapping());
  const kc = kubeConfigOf(state.kubeconfig);
  await installCrds(kc);
  const operator = await installOperator(kc);
  out.stdout(`operator: ${objectRef(operatorDeployment())} in namespace ${OPERATOR_NAMESPACE} ${operator}`);
  let failed = 0;
  const notReconciled: string[] = [];
  for (const { file, object } of manifests) {
    try {
      out.stdout(`${objectRef(object)} ${await applyObject(kc, object)}`);
      const why = notReconciledReason(object);
      if (why !== undefined) {
        out.stdout(`${objectRef(object)}: not reconciled: ${why}`);
        notReconciled.push(objectRef(object));
      }
    } catch (err) {
      failed++;
      out.stderr(`error: ${file}: ${objectRef(object)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  out.stdout('');
  out.stdout(`kubeconfig: ${state.kubeconfig}`);
  out.stdout(`  export KUBECONFIG=${state.kubeconfig}`);
  out.stdout('  kubectl get pods,services');
  if (failed > 0) return 1;
  if (opts.wait !== true) return 0;
  const deadline = Date.now() + opts.timeout * 1000;
  const clusters = manifests.map((m) => m.object).filter(isCluster);
  if (clusters.length > 0) await waitForOperator(kc, deadline, opts.timeout);
  for (const { object } of manifests) {
    if (isCluster(object)) {
      await waitForCluster(kc, object, deadline, opts.timeout);
      await printConnection(kc, state.kubeconfig, object);
      continue;
    }
    if (!WAITED_KINDS.includes(object.kind ?? '')) continue;
    for (;;) {
      if (await objectReady(kc, object).catch(() => false)) break;
      if (Date.now() > deadline)
        throw new CliError(`timed out after ${opts.timeout} s waiting for ${objectRef(object)} to be ready`);
      await sleep(250);
    }
    out.stdout(`${objectRef(object)} ready`);
  }
  // Stored, but nothing will ever make them ready: `--wait` does not report success for them.
  if (notReconciled.length > 0) {
    out.stderr(`error: not reconciled (no controller for their kind yet): ${notReconciled.join(', ')}`);
    return 1;
  }
  return 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const isCluster = (o: KubernetesObject): boolean =>
  o.kind === 'Cluster' && (o.apiVersion ?? '').startsWith(`${GROUP}/`);

/** The operator's Namespace, RBAC and Deployment; `created`, `configured` as its Deployment was. */
async function installOperator(kc: KubeConfig): Promise<string> {
  let outcome = '';
  for (const object of operatorManifests()) {
    try {
      outcome = await applyObject(kc, object);
    } catch (err) {
      throw new CliError(`installing the operator: ${objectRef(object)}: ${err instanceof Error ? err.message : err}`);
    }
  }
  return outcome;
}

/** Until the operator's Deployment is ready; at once when its container fails (it cannot run). */
async function waitForOperator(kc: KubeConfig, deadline: number, timeout: number): Promise<void> {
  const deployment = operatorDeployment();
  for (;;) {
    if (await objectReady(kc, deployment).catch(() => false)) return;
    const failure = await deploymentFailure(kc, OPERATOR_NAMESPACE, OPERATOR_DEPLOYMENT).catch(() => undefined);
    if (failure !== undefined) {
      throw new CliError(
        `the operator does not run: ${failure} (see: cnpg local logs -n ${OPERATOR_NAMESPACE} <pod>; ` +
          'the Clusters stay as they are until it runs)',
      );
    }
    if (Date.now() > deadline) throw new CliError(`timed out after ${timeout} s waiting for the operator to be ready`);
    await sleep(250);
  }
}

/** Phases after which waiting longer changes nothing: the user must act. */
const HOPELESS_PHASES: readonly string[] = [
  PHASES.invalidDefinition,
  PHASES.cannotCreateObjects,
  PHASES.unrecoverable,
  PHASES.upgradeDelayed,
];

/** Until the Cluster is healthy, printing each phase it goes through. */
async function waitForCluster(kc: KubeConfig, cluster: KubernetesObject, deadline: number, timeout: number) {
  const ref = objectRef(cluster);
  const started = Date.now();
  let shown = '';
  for (;;) {
    const { phase, reason } = await clusterPhase(kc, cluster).catch(() => ({ phase: '', reason: '' }));
    if (phase !== '' && phase !== shown) {
      const elapsed = `${((Date.now() - started) / 1000).toFixed(1)}s`;
      out.stdout(`${ref}: ${phase}${reason && phase !== PHASES.healthy ? ` (${reason})` : ''} [${elapsed}]`);
      shown = phase;
    }
    if (phase === PHASES.healthy) return;
    if (HOPELESS_PHASES.includes(phase)) throw new CliError(`${ref}: ${phase}${reason ? `: ${reason}` : ''}`);
    if (Date.now() > deadline) {
      throw new CliError(
        `timed out after ${timeout} s waiting for ${ref} to be healthy (phase: ${shown || 'none yet'})`,
      );
    }
    await sleep(250);
  }
}

/** How to reach a healthy Cluster: its `-rw` service, and the application secret's credentials. */
async function printConnection(kc: KubeConfig, kubeconfig: string, object: KubernetesObject): Promise<void> {
  const namespace = object.metadata?.namespace ?? 'default';
  const name = object.metadata?.name ?? '';
  const core = kc.makeApiClient(CoreV1Api);
  const rw = serviceReadWriteName(name);
  const service = await core.readNamespacedService({ name: rw, namespace });
  const ip = service.spec?.clusterIP ?? '';
  const cluster = (await KubernetesObjectApi.makeApiClient(kc).read({
    apiVersion: object.apiVersion ?? '',
    kind: object.kind ?? '',
    metadata: { name, namespace },
  })) as unknown as Cluster;
  const secretName = applicationSecretName(cluster);
  const secret = await core.readNamespacedSecret({ name: secretName, namespace });
  const plain = (key: string) => Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
  // A user's own secret (bootstrap.initdb.secret) may hold only username and password: the rest is the Cluster's.
  const user = plain('username') || applicationDatabaseOwner(cluster);
  const database = plain('dbname') || applicationDatabaseName(cluster);
  const lookup = (key: string) =>
    `kubectl --kubeconfig ${kubeconfig} get secret ${secretName} -n ${namespace} ` +
    `-o jsonpath='{.data.${key}}' | base64 -d`;
  out.stdout('');
  out.stdout(`${name}: connect to the primary through the ${rw} service at ${ip}:5432`);
  out.stdout(`  user ${user}, database ${database}; the password: ${lookup('password')}`);
  out.stdout(`  PGPASSWORD="$(${lookup('password')})" psql -h ${ip} -U ${user} ${database}`);
}

async function status(opts: { dataDir?: string }): Promise<number> {
  const dataDir = dataDirOf(opts);
  const state = runningDaemon(dataDir);
  if (state === undefined) {
    out.stdout(`local runtime not running (data directory ${dataDir})`);
    return 1;
  }
  out.stdout(`local runtime running: pid ${state.pid}, API server ${state.url}`);
  out.stdout(`kubeconfig: ${state.kubeconfig}`);
  const core = kubeConfigOf(state.kubeconfig).makeApiClient(CoreV1Api);
  const pods = await core.listPodForAllNamespaces();
  out.stdout('');
  out.stdout(
    table(
      ['NAMESPACE', 'POD', 'PHASE', 'READY', 'RESTARTS', 'IP'],
      pods.items.map((p) => {
        const cs = p.status?.containerStatuses ?? [];
        return [
          p.metadata?.namespace ?? '',
          p.metadata?.name ?? '',
          p.metadata?.deletionTimestamp === undefined ? (p.status?.phase ?? '') : 'Terminating',
          `${cs.filter((c) => c.ready).length}/${p.spec?.containers.length ?? 0}`,
          String(cs.reduce((n, c) => n + c.restartCount, 0)),
          p.status?.podIP ?? '',
        ];
      }),
    ),
  );
  const services = await core.listServiceForAllNamespaces();
  out.stdout('');
  out.stdout(
    table(
      ['NAMESPACE', 'SERVICE', 'CLUSTER-IP', 'PORTS'],
      services.items.map((s) => [
        s.metadata?.namespace ?? '',
        s.metadata?.name ?? '',
        s.spec?.clusterIP ?? '',
        (s.spec?.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`).join(','),
      ]),
    ),
  );
  return 0;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

function logs(pod: string, opts: { dataDir?: string; namespace: string; container?: string }): number {
  const dir = join(dataDirOf(opts), 'pods', opts.namespace, pod);
  if (!existsSync(dir))
    throw new CliError(`pod "${pod}" not found in namespace "${opts.namespace}" of the local runtime`);
  const containers = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => f.slice(0, -'.log'.length));
  let container = opts.container;
  if (container === undefined) {
    if (containers.length !== 1) {
      throw new CliError(`pod "${pod}" has several containers: choose one with -c (${containers.sort().join(', ')})`);
    }
    container = containers[0] ?? '';
  } else if (!containers.includes(container)) {
    throw new CliError(
      `container "${container}" of pod "${pod}" has no output (containers: ${containers.sort().join(', ') || 'none yet'})`,
    );
  }
  process.stdout.write(readFileSync(join(dir, `${container}.log`)));
  return 0;
}

async function down(opts: { dataDir?: string; purge?: boolean; timeout: number }): Promise<number> {
  const dataDir = dataDirOf(opts);
  const state = runningDaemon(dataDir);
  if (state === undefined) out.stdout('local runtime not running');
  else {
    const graceful = await stopDaemon(state, opts.timeout * 1000);
    out.stdout(
      graceful
        ? `local runtime stopped (pid ${state.pid})`
        : `local runtime killed after ${opts.timeout} s (pid ${state.pid})`,
    );
  }
  // Whatever a killed runtime left running goes too.
  if (existsSync(dataDir)) {
    reapOrphanProcesses(dataDir, componentLogger('local-cli', { dataDir }, { level: 'error' }));
    removeDaemonState(dataDir);
  }
  if (opts.purge === true && existsSync(dataDir)) {
    rmSync(dataDir, { recursive: true, force: true });
    out.stdout(`removed ${dataDir}`);
  }
  return 0;
}

async function daemon(opts: { dataDir?: string }): Promise<void> {
  const dataDir = dataDirOf(opts);
  const log = componentLogger('local-daemon', { dataDir });
  const rt = await startLocalRuntime({ dataDir });
  writeDaemonState(dataDir, { pid: process.pid, url: rt.apiServer.url, kubeconfig: rt.apiServer.kubeconfigPath });
  log.info({ url: rt.apiServer.url }, 'local runtime up');
  await new Promise<void>((done) => {
    const shutdown = (signal: string) => {
      log.info({ signal }, 'stopping the local runtime');
      removeDaemonState(dataDir);
      rt.stop().then(done, (err: unknown) => {
        log.error({ err }, 'error while stopping the local runtime');
        done();
      });
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
}

export function registerLocalCommand(program: Command): void {
  const local = localCommand(program);
  const dataDirHelp = `the runtime's data directory (default: ${defaultDataDir()})`;
  local
    .command('up')
    .description('start the local runtime in the background (or reuse it), install the CRDs and apply files')
    .option('-f, --filename <file>', 'a YAML file to apply (multi-document; "-" for stdin); repeatable', collect)
    .option('--data-dir <dir>', dataDirHelp)
    .option(
      '--wait',
      'wait until the applied Clusters are healthy (and pods, deployments, jobs, claims ready); ' +
        'fails for objects of kinds no controller acts on yet',
    )
    .option('--timeout <duration>', 'how long --wait waits (e.g. 90s, 5m)', seconds, 300)
    .action((opts: UpOptions) => run(() => up(opts)));
  local
    .command('status')
    .description('show whether the local runtime runs, its pods and its services')
    .option('--data-dir <dir>', dataDirHelp)
    .action((opts: { dataDir?: string }) => run(() => status(opts)));
  local
    .command('logs')
    .description("print a pod's container output")
    .argument('<pod>', 'the pod')
    .option('-n, --namespace <ns>', 'the namespace of the pod', 'default')
    .option('-c, --container <name>', 'the container (needed when the pod has several)')
    .option('--data-dir <dir>', dataDirHelp)
    .action((pod: string, opts: { dataDir?: string; namespace: string; container?: string }) =>
      run(async () => logs(pod, opts)),
    );
  local
    .command('down')
    .description('stop the local runtime and every pod it runs (SIGTERM, grace period, SIGKILL)')
    .option('--purge', 'also remove the data directory')
    .option('--timeout <duration>', 'how long to wait for the pods to stop before killing everything', seconds, 120)
    .option('--data-dir <dir>', dataDirHelp)
    .action((opts: { dataDir?: string; purge?: boolean; timeout: number }) => run(() => down(opts)));
  local
    .command('daemon', { hidden: true })
    .description('the local runtime in the foreground (what `up` starts in the background)')
    .option('--data-dir <dir>', dataDirHelp)
    .action((opts: { dataDir?: string }) => run(async () => daemon(opts).then(() => 0)));
}
