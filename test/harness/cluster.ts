// The harness's cluster: a Cluster on the operator's end-to-end environment (local runtime with the
// operator in-process), with what the nemeses and the checker need to reach into it: the pods'
// processes (instance manager, postmaster and its children, found through /proc), the instance
// managers' status, the Cluster's durability promise, and the operator itself, which can be
// stopped and started again to model a killed operator. Everything is removed by stop().
import { readdirSync, readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Cluster } from '../../src/api/v1/cluster-types.ts';
import type { PostgresqlStatus } from '../../src/api/v1/instance-status.ts';
import { componentLogger, type Logger } from '../../src/log/logger.ts';
import { type RunningController, startController } from '../../src/operator/controller.ts';
import { resolvePgBinDir } from '../../src/postgres/binaries.ts';
import { podProcessUser } from '../../src/postgres/os-user.ts';
import { lastWords, runTool } from '../../src/postgres/tool-runner.ts';
import {
  applyAll,
  ensureNamespace,
  HEALTHY,
  type OperatorEnv,
  readCluster,
  secretData,
  serviceIP,
  startOperatorEnv,
  waitFor,
  waitForPhase,
} from '../operator/support.ts';
import type { Durability } from './checker.ts';
import { type Credentials, createWritesTable, hasWritesTable } from './workload.ts';

export interface HarnessClusterOptions {
  name: string;
  namespace?: string;
  instances: number;
  /** Quorum synchronous replication (any 1) with dataDurability: required; else asynchronous. */
  synchronous: boolean;
  /** How long the first start may take (default 180 s: CI machines run other suites meanwhile). */
  healthyTimeoutMs?: number;
  /** spec.primaryLease, when not upstream's defaults (15 s lease, 10 s renew deadline, 2 s retry). */
  primaryLease?: PrimaryLeaseTimings;
}

export interface PrimaryLeaseTimings {
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
}

export type InstanceStatus = Partial<PostgresqlStatus> & Pick<PostgresqlStatus, 'isPrimary'>;

export interface PodRef {
  name: string;
  ip: string;
}

const STATUS_PORT = 8000;
const PGDATA = 'var/lib/postgresql/data/pgdata';
// The node agent's pid file of the `postgres` container: its main process, the instance manager.
const MANAGER_PID_FILE = '.run/postgres.pid';

export function clusterManifest(o: HarnessClusterOptions): KubernetesObject {
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: o.name, namespace: o.namespace ?? 'default' },
    spec: {
      instances: o.instances,
      storage: { size: '1Gi' },
      ...(o.synchronous
        ? { postgresql: { synchronous: { method: 'any', number: 1, dataDurability: 'required' } } }
        : {}),
      ...(o.primaryLease === undefined ? {} : { primaryLease: o.primaryLease }),
    },
  } as KubernetesObject;
}

/** What the Cluster promises about acknowledged writes. */
export function durabilityOf(c: Cluster): Durability {
  const sync = c.spec.postgresql?.synchronous;
  return sync === undefined
    ? { synchronous: false }
    : { synchronous: true, ...(sync.dataDurability === undefined ? {} : { dataDurability: sync.dataDurability }) };
}

/** The parent of each process, from /proc. */
function parentMap(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // The process ended while we listed.
    }
  }
  return parents;
}

/** `root` and every process below it (PostgreSQL's children leave the group: the tree is what counts). */
export function processTree(root: number): number[] {
  const parents = parentMap();
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  }
  return parents.has(root) ? tree : [];
}

export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

const SCHEMES = ['https', 'http'] as const;

/** The body of a 200 answer (undefined for another status); rejects when nothing answers in time. */
function getText(url: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const options = {
      signal: AbortSignal.timeout(timeoutMs),
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2' as const,
    };
    const req = (url.startsWith('https:') ? httpsGet : httpGet)(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export class HarnessCluster {
  readonly env: OperatorEnv;
  readonly name: string;
  readonly namespace: string;
  readonly instances: number;
  readonly credentials: Credentials;
  /** The -rw service's address. */
  readonly rwHost: string;
  readonly log: Logger;
  #controller: RunningController | undefined;
  #statusScheme: 'https' | 'http' | undefined;

  private constructor(env: OperatorEnv, o: HarnessClusterOptions, credentials: Credentials, rwHost: string) {
    this.env = env;
    this.name = o.name;
    this.namespace = o.namespace ?? 'default';
    this.instances = o.instances;
    this.credentials = credentials;
    this.rwHost = rwHost;
    this.log = componentLogger(
      'harness',
      { cluster: o.name, namespace: this.namespace },
      { level: process.env.CNPG_TEST_LOG === '1' ? 'info' : 'warning' },
    );
    this.#controller = env.controller;
  }

  /** Starts the environment and the Cluster, and waits until it is healthy with the writes table everywhere. */
  static async start(o: HarnessClusterOptions): Promise<HarnessCluster> {
    const env = await startOperatorEnv();
    try {
      const ns = o.namespace ?? 'default';
      await ensureNamespace(env, ns);
      await applyAll(env, [clusterManifest(o)]);
      await waitForPhase(
        env,
        ns,
        o.name,
        HEALTHY,
        o.healthyTimeoutMs ?? 180_000,
        (c) => c.status?.readyInstances === o.instances,
      );
      const uri = new URL((await secretData(env, ns, `${o.name}-app`)).uri ?? '');
      const credentials = {
        user: decodeURIComponent(uri.username),
        password: decodeURIComponent(uri.password),
        database: uri.pathname.slice(1),
      };
      const rwHost = await serviceIP(env, ns, `${o.name}-rw`);
      const h = new HarnessCluster(env, o, credentials, rwHost);
      await createWritesTable(rwHost, credentials);
      // A fault right after the start must not lose the table itself: wait until every replica has it.
      for (const pod of await h.pods()) {
        await waitFor(`the writes table on ${pod.name}`, () => hasWritesTable(pod.ip, credentials), 60_000);
      }
      return h;
    } catch (err) {
      await env.stop();
      throw err;
    }
  }

  read(): Promise<Cluster> {
    return readCluster(this.env, this.namespace, this.name);
  }

  async durability(): Promise<Durability> {
    return durabilityOf(await this.read());
  }

  async currentPrimary(): Promise<string> {
    const primary = (await this.read()).status?.currentPrimary;
    if (primary === undefined || primary === '') throw new Error(`Cluster ${this.name} reports no current primary`);
    return primary;
  }

  /** Healthy, with every instance ready. */
  async waitHealthy(timeoutMs = 120_000): Promise<void> {
    await waitForPhase(
      this.env,
      this.namespace,
      this.name,
      HEALTHY,
      timeoutMs,
      (c) => c.status?.readyInstances === this.instances,
    );
  }

  /** The instance pods that have an address, by name. */
  async pods(): Promise<PodRef[]> {
    const list = await this.env.core.listNamespacedPod({
      namespace: this.namespace,
      labelSelector: `cnpg.io/cluster=${this.name},cnpg.io/podRole=instance`,
    });
    return list.items
      .map((p) => ({ name: p.metadata?.name ?? '', ip: p.status?.podIP ?? '' }))
      .filter((p) => p.name !== '' && p.ip !== '')
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async podIP(pod: string): Promise<string> {
    const ip = (await this.env.core.readNamespacedPod({ name: pod, namespace: this.namespace })).status?.podIP;
    if (ip === undefined || ip === '') throw new Error(`pod ${pod} has no address`);
    return ip;
  }

  podRoot(pod: string): string {
    return join(this.env.runtime.dir, 'pods', this.namespace, pod);
  }

  managerPid(pod: string): number | undefined {
    return readPid(join(this.podRoot(pod), MANAGER_PID_FILE));
  }

  postmasterPid(pod: string): number | undefined {
    return readPid(join(this.podRoot(pod), PGDATA, 'postmaster.pid'));
  }

  /** The pod's instance manager and everything it started (postmaster, backends, auxiliaries). */
  podProcesses(pod: string): number[] {
    const manager = this.managerPid(pod);
    return manager === undefined ? [] : processTree(manager);
  }

  walReceiverPid(pod: string): number | undefined {
    return this.podProcesses(pod).find((pid) => /walreceiver/.test(commandLine(pid)));
  }

  /** GET /pg/status of the instance at `ip`; undefined when it does not answer in time. */
  async status(ip: string, timeoutMs = 1_000): Promise<InstanceStatus | undefined> {
    // HTTPS once the instance has certificates, plain HTTP before: learn which, then keep to it.
    for (const scheme of this.#statusScheme === undefined ? SCHEMES : [this.#statusScheme]) {
      try {
        const text = await getText(`${scheme}://${ip}:${STATUS_PORT}/pg/status`, timeoutMs);
        this.#statusScheme = scheme;
        return text === undefined ? undefined : (JSON.parse(text) as InstanceStatus);
      } catch {
        // Unreachable, frozen, or the other scheme.
      }
    }
    return undefined;
  }

  /**
   * Promotes the replica in `pod` as PostgreSQL's own tool does (`pg_ctl promote`, as the pod user),
   * without the instance manager's API (whose operations only the operator may call).
   */
  async pgCtlPromote(pod: string): Promise<void> {
    const pgCtl = join(resolvePgBinDir(), 'pg_ctl');
    const user = podProcessUser();
    const run = await runTool(pgCtl, ['promote', '-w', '-t', '60', '-D', join(this.podRoot(pod), PGDATA)], {
      timeoutMs: 90_000,
      ...(user === undefined ? {} : { user }),
    });
    if (run.code !== 0) throw new Error(`pg_ctl promote of ${pod} failed: ${lastWords(run)}`);
  }

  get operatorRunning(): boolean {
    return this.#controller !== undefined;
  }

  /** Stops the operator (as killing its process would: nothing reconciles until startOperator). */
  async stopOperator(): Promise<void> {
    const c = this.#controller;
    this.#controller = undefined;
    await c?.stop();
  }

  /** Starts a new operator, configured as the test environment's. */
  async startOperator(): Promise<void> {
    if (this.#controller !== undefined) return;
    const c = await startController({
      kubeConfig: this.env.kc,
      maxConcurrentReconciles: 4,
      pollMs: 300,
      healthyResyncMs: 1_000,
      logger: componentLogger('controller', {}, { level: process.env.CNPG_TEST_LOG === '1' ? 'info' : 'error' }),
    });
    this.#controller = c;
    await c.ready;
  }

  async stop(): Promise<void> {
    try {
      if (this.#controller !== this.env.controller) await this.#controller?.stop();
    } finally {
      await this.env.stop();
    }
  }
}
