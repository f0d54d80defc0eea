// The node agent: the kubelet of the local runtime. It watches every Pod and runs each on this
// machine (a PodWorker per pod), gives each its loopback address, publishes their status, and on
// deletion stops them with their grace period before the object goes away.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, type V1Pod, type V1PodStatus } from '@kubernetes/client-node';
import type { Logger } from '../../log/logger.ts';
import { signalGroup } from './container-process.ts';
import type { KeyData, ObjectSource } from './env.ts';
import { apiErrorMessage, apiStatusCode, isNotFound } from '../../kube/patch.ts';
import { MERGE_PATCH, startInformer, type WatchedCache } from './kube.ts';
import { claimAddressBlock } from '../address-block.ts';
import { LoopbackAllocator } from './loopback.ts';
import { type BackOff, KUBELET_BACKOFF, PodWorker } from './pod-worker.ts';
import { podRootAlias, podRootDir, removePodRoot, removePodRootAliases, type TokenSource } from './volumes.ts';

export interface NodeAgentOptions {
  kubeConfig: KubeConfig;
  dataDir: string;
  /** Where pods reach the API server. */
  apiServer: { host: string; port: number };
  caCertPem: string;
  log: Logger;
  backoff?: BackOff;
  /** How often projected Secrets, ConfigMaps and tokens are refreshed in running pods. */
  resyncMs?: number;
  installedMajors?: number[];
}

const DEFAULT_GRACE_SECONDS = 30;

/** Node's architecture names as Kubernetes (Go) spells them. */
const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' };

/** The one node of the local runtime: pods are bound to it (spec.nodeName) as a scheduler would. */
export const LOCAL_NODE_NAME = 'cnpg-local';

export class NodeAgent {
  readonly #opts: NodeAgentOptions;
  readonly #core: CoreV1Api;
  readonly #log: Logger;
  readonly #addresses: LoopbackAllocator;
  /** Running (or finished but not deleted) pods by uid. */
  readonly #workers = new Map<string, PodWorker>();
  /** Pods being stopped, by uid. */
  readonly #stopping = new Map<string, Promise<void>>();
  /** The same, by `namespace/name`: a pod recreated under the same name waits for its predecessor. */
  readonly #stoppingByName = new Map<string, Promise<void>>();
  #informer: WatchedCache<V1Pod> | undefined;
  #resync: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(opts: NodeAgentOptions) {
    this.#opts = opts;
    this.#addresses = new LoopbackAllocator(claimAddressBlock(opts.dataDir));
    this.#core = opts.kubeConfig.makeApiClient(CoreV1Api);
    this.#log = opts.log;
  }

  async start(): Promise<void> {
    reapOrphanProcesses(this.#opts.dataDir, this.#log);
    await this.#register();
    this.#informer = await startInformer<V1Pod>(
      this.#opts.kubeConfig,
      '/api/v1/pods',
      () => this.#core.listPodForAllNamespaces(),
      this.#log,
      (inf) => {
        inf.on('add', (pod) => this.#sync(pod));
        inf.on('update', (pod) => this.#sync(pod));
        inf.on('delete', (pod) => this.#gone(pod));
      },
    );
    this.#removeOrphanDirectories(this.#informer.list());
    this.#resync = setInterval(() => this.#refreshVolumes(), this.#opts.resyncMs ?? 10_000);
  }

  /** Stops watching and stops every pod (SIGTERM, grace, SIGKILL), leaving their objects as they are. */
  async stop(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#resync);
    await this.#informer?.stop();
    await Promise.all([...this.#workers.values()].map((w) => w.terminate(this.#graceOf(w.pod))));
    await Promise.all(this.#stopping.values());
    this.#workers.clear();
    // No pod runs: the short roots go, so nothing is left in /tmp (a new start links them again).
    removePodRootAliases(this.#opts.dataDir);
  }

  /**
   * Registers this node's Node object, as a kubelet does, with the well-known labels a kubelet sets
   * (what the operator reads for its topology); labels added since (kubectl label) are kept.
   */
  async #register(): Promise<void> {
    try {
      await this.#core.readNode({ name: LOCAL_NODE_NAME });
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const labels = {
      'kubernetes.io/hostname': LOCAL_NODE_NAME,
      'kubernetes.io/os': platform(),
      'kubernetes.io/arch': GO_ARCH[arch()] ?? arch(),
    };
    try {
      await this.#core.createNode({
        body: { apiVersion: 'v1', kind: 'Node', metadata: { name: LOCAL_NODE_NAME, labels } },
      });
      this.#log.info({ node: LOCAL_NODE_NAME }, 'node registered');
    } catch (err) {
      if (apiStatusCode(err) !== 409) throw err;
    }
  }

  #graceOf(pod: V1Pod): number {
    return pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
  }

  #sync(pod: V1Pod): void {
    if (this.#closed) return;
    const nodeName = pod.spec?.nodeName;
    if (nodeName === undefined || nodeName === '') {
      if (pod.metadata?.deletionTimestamp === undefined) void this.#bind(pod);
      return;
    }
    if (nodeName !== LOCAL_NODE_NAME) return;
    const uid = pod.metadata?.uid ?? '';
    const worker = this.#workers.get(uid);
    if (pod.metadata?.deletionTimestamp !== undefined) {
      void this.#delete(pod, true);
      return;
    }
    if (worker !== undefined) {
      worker.pod = pod;
      return;
    }
    if (this.#stopping.has(uid)) return;
    // Finished pods stay finished, as after a kubelet restart.
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    const predecessor = this.#stoppingByName.get(nameKey(pod));
    if (predecessor === undefined) this.#run(pod);
    else {
      // Hold the place so later events do not start it twice.
      this.#stopping.set(uid, predecessor);
      void predecessor.then(() => {
        this.#stopping.delete(uid);
        const latest = this.#informer?.get(pod.metadata?.name ?? '', pod.metadata?.namespace);
        if (latest?.metadata?.uid === uid) this.#sync(latest);
      });
    }
  }

  /** Schedules the pod here (pods/binding); its next event starts it. */
  async #bind(pod: V1Pod): Promise<void> {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? 'default';
    try {
      await this.#core.createNamespacedPodBinding({
        name,
        namespace,
        body: { metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: LOCAL_NODE_NAME } },
      });
    } catch (err) {
      // Gone, or bound meanwhile: the next event says which.
      if (!isNotFound(err) && apiStatusCode(err) !== 409)
        this.#log.warn({ namespace, pod: name, err: apiErrorMessage(err) }, 'cannot bind pod');
    }
  }

  #run(pod: V1Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const previousIP = pod.status?.podIP;
    let ip: string;
    if (previousIP !== undefined && this.#addresses.owns(previousIP) && !this.#addresses.has(previousIP)) {
      this.#addresses.reserve(previousIP);
      ip = previousIP;
    } else {
      ip = this.#addresses.allocate();
    }
    const worker = new PodWorker(pod, ip, {
      dataDir: this.#opts.dataDir,
      objects: this.#objectSource(),
      tokens: this.#tokenSource(),
      apiServer: this.#opts.apiServer,
      publishStatus: (p, status) => this.#publish(p, status),
      backoff: this.#opts.backoff ?? KUBELET_BACKOFF,
      log: this.#log,
      installedMajors: this.#opts.installedMajors,
    });
    this.#workers.set(uid, worker);
    this.#log.info({ namespace: worker.namespace, pod: worker.name, podIP: ip }, 'starting pod');
    void worker.start();
  }

  #gone(pod: V1Pod): void {
    void this.#delete(pod, false);
  }

  /**
   * Stops a deleted pod. A graceful deletion (the object still there, with deletionTimestamp)
   * ends with the kubelet's final delete; an object already gone only needs its processes stopped.
   */
  async #delete(pod: V1Pod, graceful: boolean): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const pending = this.#stopping.get(uid);
    if (pending !== undefined) return pending;
    const worker = this.#workers.get(uid);
    const key = nameKey(pod);
    const done = (async () => {
      if (worker !== undefined) {
        await worker.terminate(this.#graceOf(pod));
        worker.fs.remove();
        this.#addresses.release(worker.podIP);
        this.#workers.delete(uid);
      } else if (![...this.#workers.values()].some((w) => nameKey(w.pod) === key)) {
        removePodRoot(podRootDir(this.#opts.dataDir, pod.metadata?.namespace ?? 'default', pod.metadata?.name ?? ''));
      }
      if (graceful && !this.#closed) await this.#finalDelete(pod);
    })().finally(() => {
      this.#stopping.delete(uid);
      if (this.#stoppingByName.get(key) === done) this.#stoppingByName.delete(key);
    });
    this.#stopping.set(uid, done);
    this.#stoppingByName.set(key, done);
    return done;
  }

  async #finalDelete(pod: V1Pod): Promise<void> {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? 'default';
    try {
      await this.#core.deleteNamespacedPod({
        name,
        namespace,
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid } },
      });
    } catch (err) {
      if (!isNotFound(err))
        this.#log.warn({ namespace, pod: name, err: apiErrorMessage(err) }, 'cannot remove a stopped pod');
    }
  }

  async #publish(pod: V1Pod, status: V1PodStatus): Promise<void> {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? 'default';
    const uid = pod.metadata?.uid ?? '';
    if (this.#closed || this.#stopping.has(uid)) return;
    // JSON merge patch replaces lists whole; the top-level fields we may have set before are cleared.
    const body = { status: { reason: null, message: null, ...status } };
    try {
      await this.#core.patchNamespacedPodStatus({ name, namespace, body }, MERGE_PATCH);
    } catch (err) {
      // The pod went away meanwhile: its deletion event stops the worker.
      if (!isNotFound(err)) throw err;
    }
  }

  #refreshVolumes(): void {
    for (const w of this.#workers.values()) {
      w.fs.refresh().catch((err: unknown) => {
        this.#log.warn(
          { namespace: w.namespace, pod: w.name, err: apiErrorMessage(err) },
          'cannot refresh pod volumes',
        );
      });
    }
  }

  /** Pod directories left by pods deleted while the runtime was down. */
  #removeOrphanDirectories(pods: readonly V1Pod[]): void {
    const root = join(this.#opts.dataDir, 'pods');
    if (!existsSync(root)) return;
    const live = new Set(pods.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`));
    for (const ns of readdirSync(root)) {
      for (const name of readdirSync(join(root, ns))) {
        if (!live.has(`${ns}/${name}`)) removePodRoot(join(root, ns, name));
      }
    }
  }

  #objectSource(): ObjectSource {
    const core = this.#core;
    const read = async (f: () => Promise<KeyData>): Promise<KeyData | undefined> => {
      try {
        return await f();
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    };
    return {
      secret: (namespace, name) =>
        read(async () => {
          const s = await core.readNamespacedSecret({ name, namespace });
          return new Map(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
        }),
      configMap: (namespace, name) =>
        read(async () => {
          const c = await core.readNamespacedConfigMap({ name, namespace });
          return new Map([
            ...Object.entries(c.data ?? {}).map(([k, v]): [string, Buffer] => [k, Buffer.from(v)]),
            ...Object.entries(c.binaryData ?? {}).map(([k, v]): [string, Buffer] => [k, Buffer.from(v, 'base64')]),
          ]);
        }),
    };
  }

  #tokenSource(): TokenSource {
    const core = this.#core;
    return {
      caCertPem: this.#opts.caCertPem,
      token: async (namespace, serviceAccount, audiences, expirationSeconds) => {
        const tr = await core.createNamespacedServiceAccountToken({
          name: serviceAccount,
          namespace,
          body: { spec: { audiences, expirationSeconds } },
        });
        const token = tr.status?.token;
        if (token === undefined) throw new Error(`no token issued for serviceaccount ${namespace}/${serviceAccount}`);
        return token;
      },
    };
  }
}

const nameKey = (pod: V1Pod): string => `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;

/**
 * Kills the process groups a previous runtime left running (it died without stopping its pods):
 * their pid files are in the pod directories, and the process must still carry that pod's root in
 * its environment, so a recycled pid is never signalled.
 */
export function reapOrphanProcesses(dataDir: string, log: Logger): void {
  const root = join(dataDir, 'pods');
  if (!existsSync(root)) return;
  for (const ns of readdirSync(root)) {
    for (const pod of readdirSync(join(root, ns))) {
      const runDir = join(root, ns, pod, '.run');
      if (!existsSync(runDir)) continue;
      for (const file of readdirSync(runDir)) {
        const pid = Number(readFileSync(join(runDir, file), 'utf8').trim());
        if (Number.isInteger(pid) && pid > 1 && processHasPodRoot(pid, podRootAlias(join(root, ns, pod)))) {
          log.info({ namespace: ns, pod, pid }, 'killing a process left by a previous runtime');
          signalGroup(pid, 'SIGKILL');
        }
        rmSync(join(runDir, file), { force: true });
      }
    }
  }
}

function processHasPodRoot(pid: number, podRoot: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`CNPG_POD_ROOT=${podRoot}`);
  } catch {
    return false;
  }
}
