// One pod on this machine, as the kubelet runs it: volumes, then init containers in order, then
// the containers with their probes, restarts by restartPolicy with back-off, and the pod's phase,
// conditions and container statuses; on deletion, SIGTERM, the grace period, then SIGKILL.
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type {
  V1Container,
  V1ContainerState,
  V1ContainerStatus,
  V1Pod,
  V1PodCondition,
  V1PodStatus,
} from '@kubernetes/client-node';
import type { Logger } from '../../log/logger.ts';
import { type OsUser, podProcessUser } from '../../postgres/os-user.ts';
import { ContainerProcess, type ProcessExit } from './container-process.ts';
import { ContainerConfigError, containerCommandLine, containerEnv, type ObjectSource } from './env.ts';
import { containerCommand, ImageMapError, imagePathPrefix, mapCommand } from './image-map.ts';
import { ProbeLoop, type ProbeContext } from './probes.ts';
import { hostPath, PodFilesystem, type TokenSource, VolumeNotReadyError } from './volumes.ts';

/** The default PATH of a container image (Debian's). */
const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface BackOff {
  /** The delay before the second restart (the first is immediate), doubled at each crash. */
  initialMs: number;
  maxMs: number;
}

/** The kubelet's: 10 s doubling up to 5 min, forgotten after 10 min of running well. */
export const KUBELET_BACKOFF: BackOff = { initialMs: 10_000, maxMs: 300_000 };

export interface PodWorkerDeps {
  dataDir: string;
  objects: ObjectSource;
  tokens: TokenSource;
  /** Where pods reach the API server (KUBERNETES_SERVICE_HOST/PORT). */
  apiServer: { host: string; port: number };
  publishStatus: (pod: V1Pod, status: V1PodStatus) => Promise<void>;
  backoff: BackOff;
  log: Logger;
  /** Installed PostgreSQL majors (tests pin them); found on disk when absent. */
  installedMajors?: number[];
}

interface ContainerRun {
  spec: V1Container;
  init: boolean;
  restartCount: number;
  state: V1ContainerState;
  lastState: V1ContainerState;
  ready: boolean;
  started: boolean;
  /** Terminated for good: the restart policy will not run it again. */
  finished: boolean;
  proc: ContainerProcess | undefined;
  probes: ProbeLoop[];
}

/** Kubernetes times are RFC 3339 with second precision. */
export const kubeTime = (d: Date = new Date()): string => `${d.toISOString().slice(0, 19)}Z`;

/** A time for a status we send as JSON (client-node types timestamps as Date; the wire wants the string). */
const statusTime = (d?: Date): Date => kubeTime(d) as unknown as Date;

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

export class PodWorker {
  #pod: V1Pod;
  readonly podIP: string;
  readonly fs: PodFilesystem;
  readonly #deps: PodWorkerDeps;
  readonly #user: OsUser | undefined;
  readonly #log: Logger;
  readonly #runs = new Map<string, ContainerRun>();
  readonly #stop = new AbortController();
  readonly #startTime: string;
  #initialized = false;
  #fatal: { reason: string; message: string } | undefined;
  #pending: { reason: string; message: string } | undefined;
  #conditionTimes = new Map<string, { status: string; time: string }>();
  #publishing = false;
  #dirty = false;
  #done: Promise<void> | undefined;

  constructor(pod: V1Pod, podIP: string, deps: PodWorkerDeps) {
    this.#pod = pod;
    this.podIP = podIP;
    this.#deps = deps;
    // When we are root, every pod process runs as the unprivileged pod user, whatever
    // securityContext.runAsUser says (26, upstream's postgres uid, is that user): see
    // docs/local-runtime.md.
    this.#user = podProcessUser();
    this.#log = deps.log.child({ namespace: pod.metadata?.namespace, pod: pod.metadata?.name });
    this.fs = new PodFilesystem({
      dataDir: deps.dataDir,
      pod: this.#view(pod),
      user: this.#user,
      objects: deps.objects,
      tokens: deps.tokens,
    });
    const prev = pod.status;
    this.#startTime = prev?.startTime === undefined ? kubeTime() : kubeTime(new Date(prev.startTime));
    // A pod adopted after a runtime restart keeps its counts; its init containers already ran.
    this.#initialized = (prev?.conditions ?? []).some((c) => c.type === 'Initialized' && c.status === 'True');
    for (const c of prev?.conditions ?? []) {
      if (c.lastTransitionTime !== undefined) {
        this.#conditionTimes.set(c.type, { status: c.status, time: kubeTime(new Date(c.lastTransitionTime)) });
      }
    }
    const previous = new Map(
      [...(prev?.initContainerStatuses ?? []), ...(prev?.containerStatuses ?? [])].map((s) => [s.name, s]),
    );
    const add = (spec: V1Container, init: boolean): void => {
      const p = previous.get(spec.name);
      const wasRunning = p?.state?.running !== undefined;
      this.#runs.set(spec.name, {
        spec,
        init,
        restartCount: (p?.restartCount ?? 0) + (wasRunning ? 1 : 0),
        state:
          init && this.#initialized && p?.state !== undefined ? p.state : { waiting: { reason: 'PodInitializing' } },
        lastState: p?.lastState ?? {},
        ready: false,
        started: false,
        finished: init && this.#initialized,
        proc: undefined,
        probes: [],
      });
    };
    for (const c of pod.spec?.initContainers ?? []) add(c, true);
    for (const c of pod.spec?.containers ?? []) add(c, false);
  }

  get pod(): V1Pod {
    return this.#pod;
  }

  /** The latest object (labels, annotations, readiness gates, deletion): the spec does not change. */
  set pod(pod: V1Pod) {
    this.#pod = pod;
    this.fs.pod = this.#view(pod);
  }

  /** The pod as env and the downward API see it: with the address it has here, even before it is published. */
  #view(pod: V1Pod): V1Pod {
    const ips = {
      podIP: this.podIP,
      podIPs: [{ ip: this.podIP }],
      hostIP: '127.0.0.1',
      hostIPs: [{ ip: '127.0.0.1' }],
    };
    return { ...pod, status: { ...pod.status, ...ips } };
  }

  get namespace(): string {
    return this.pod.metadata?.namespace ?? 'default';
  }

  get name(): string {
    return this.pod.metadata?.name ?? '';
  }

  /** Runs the pod until it ends or is stopped; resolves when every container is gone. */
  start(): Promise<void> {
    this.#done ??= this.#run()
      .then(() => this.#releaseIfFinished())
      .catch((err: unknown) => {
        this.#log.error({ err }, 'pod worker failed');
      });
    return this.#done;
  }

  /** A pod that ended by itself (not stopped) keeps only its logs, once its phase is published. */
  #releaseIfFinished(): void {
    if (this.#stop.signal.aborted) return;
    const phase = this.#phase([...this.#runs.values()].filter((r) => !r.init));
    if (phase === 'Succeeded' || phase === 'Failed') this.fs.release();
  }

  /** Stops every container: SIGTERM, then SIGKILL after `graceSeconds`. */
  async terminate(graceSeconds: number): Promise<void> {
    if (!this.#stop.signal.aborted) {
      this.#log.info({ graceSeconds }, 'stopping pod');
      this.#stop.abort();
      await Promise.all(
        [...this.#runs.values()].map(async (run) => {
          for (const p of run.probes) p.stop();
          await run.proc?.stop(graceSeconds * 1000);
        }),
      );
    }
    await this.#done;
  }

  async #run(): Promise<void> {
    const mappings = this.#mapImages();
    if (mappings === undefined) return this.#publishNow();
    await this.#prepareVolumes();
    if (this.#stop.signal.aborted) return;
    this.#pending = undefined;
    this.#markDirty();
    for (const run of this.#runs.values()) {
      if (!run.init || run.finished) continue;
      const ok = await this.#runInit(run, mappings);
      if (!ok) return this.#publishNow();
    }
    this.#initialized = true;
    this.#markDirty();
    const mains = [...this.#runs.values()].filter((r) => !r.init);
    await Promise.all(mains.map((run) => this.#runMain(run, mappings)));
    await this.#publishNow();
  }

  /** Checks every image can be provided here; a missing PostgreSQL major fails the pod. */
  #mapImages(): Map<string, string[]> | undefined {
    const mappings = new Map<string, string[]>();
    for (const run of this.#runs.values()) {
      try {
        mappings.set(run.spec.name, imagePathPrefix(run.spec.image, { installed: this.#deps.installedMajors }));
      } catch (err) {
        if (!(err instanceof ImageMapError)) throw err;
        this.#fatal = { reason: 'ImageNotAvailable', message: err.message };
        for (const r of this.#runs.values()) r.state = { waiting: { reason: 'ErrImagePull', message: err.message } };
        this.#log.error({ container: run.spec.name, image: run.spec.image }, err.message);
        return undefined;
      }
    }
    return mappings;
  }

  async #prepareVolumes(): Promise<void> {
    const containers = [...this.#runs.values()].map((r) => r.spec);
    while (!this.#stop.signal.aborted) {
      try {
        await this.fs.prepare(containers);
        mkdirSync(join(this.fs.root, '.run'), { recursive: true });
        return;
      } catch (err) {
        if (!(err instanceof VolumeNotReadyError || err instanceof ContainerConfigError)) throw err;
        if (this.#pending?.message !== err.message) {
          this.#log.info({ reason: err.message }, 'waiting for volumes');
          this.#pending = { reason: 'ContainersNotReady', message: err.message };
          this.#markDirty();
        }
        await sleep(1000, this.#stop.signal);
      }
    }
  }

  /** Runs an init container until it succeeds; false when the pod failed. */
  async #runInit(run: ContainerRun, mappings: Map<string, string[]>): Promise<boolean> {
    let crashes = 0;
    while (!this.#stop.signal.aborted) {
      const exit = await this.#runOnce(run, mappings);
      if (exit === undefined) return false;
      if (exit.exitCode === 0) {
        run.finished = true;
        this.#markDirty();
        return true;
      }
      if (this.#restartPolicy() === 'Never') {
        run.finished = true;
        this.#fatal = {
          reason: 'Failed',
          message: `init container "${run.spec.name}" failed with exit code ${exit.exitCode}`,
        };
        return false;
      }
      crashes = await this.#backOff(run, exit, crashes);
    }
    return false;
  }

  async #runMain(run: ContainerRun, mappings: Map<string, string[]>): Promise<void> {
    let crashes = 0;
    while (!this.#stop.signal.aborted) {
      const exit = await this.#runOnce(run, mappings);
      if (exit === undefined || this.#stop.signal.aborted) break;
      const policy = this.#restartPolicy();
      if (policy === 'Never' || (policy === 'OnFailure' && exit.exitCode === 0)) {
        run.finished = true;
        this.#markDirty();
        break;
      }
      const ranMs = exit.finishedAt.getTime() - exit.startedAt.getTime();
      if (ranMs > 2 * this.#deps.backoff.maxMs) crashes = 0;
      crashes = await this.#backOff(run, exit, crashes);
    }
  }

  /** Waits before a restart (immediate the first time, then doubling), showing CrashLoopBackOff. */
  async #backOff(run: ContainerRun, exit: ProcessExit, crashes: number): Promise<number> {
    const { initialMs, maxMs } = this.#deps.backoff;
    const delay = crashes === 0 ? 0 : Math.min(initialMs * 2 ** (crashes - 1), maxMs);
    run.lastState = run.state;
    if (delay > 0) {
      const uid = this.pod.metadata?.uid ?? '';
      run.state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${formatDelay(delay)} restarting failed container=${run.spec.name} pod=${this.name}_${this.namespace}(${uid})`,
        },
      };
      this.#markDirty();
      this.#log.info(
        { container: run.spec.name, exitCode: exit.exitCode, delayMs: delay },
        'container crashed: backing off',
      );
    }
    await sleep(delay, this.#stop.signal);
    // Counted when the container starts again, as the kubelet does.
    if (!this.#stop.signal.aborted) run.restartCount++;
    return crashes + 1;
  }

  /** Starts the container once and waits for it to end; undefined when it could not be configured. */
  async #runOnce(run: ContainerRun, mappings: Map<string, string[]>): Promise<ProcessExit | undefined> {
    const spec = run.spec;
    let env: Map<string, string>;
    try {
      env = await containerEnv(this.fs.pod, spec, this.#deps.objects);
    } catch (err) {
      if (!(err instanceof ContainerConfigError)) throw err;
      run.state = { waiting: { reason: 'CreateContainerConfigError', message: err.message } };
      this.#markDirty();
      await sleep(2000, this.#stop.signal);
      return this.#stop.signal.aborted ? undefined : this.#runOnce(run, mappings);
    }
    const processEnv = this.#processEnv(env, mappings.get(spec.name) ?? []);
    let command: string[] = [];
    let unusable = 'no command: an image entrypoint cannot be used locally';
    try {
      const { command: cmd, args } = containerCommandLine(spec, env);
      const root = this.fs.root;
      // Resolved through the mounts' symlinks: MinIO refuses a drive that is a link.
      const resolved = (p: string) =>
        existsSync(hostPath(root, p)) ? realpathSync(hostPath(root, p)) : hostPath(root, p);
      command = containerCommand(spec.image, cmd, args, { podIP: this.podIP, hostPath: resolved });
    } catch (err) {
      if (!(err instanceof ImageMapError)) throw err;
      unusable = err.message;
    }
    const cwd = spec.workingDir === undefined ? this.fs.root : hostPath(this.fs.root, spec.workingDir);
    if (!existsSync(cwd)) mkdirSync(cwd, { recursive: true });
    if (command.length === 0) {
      run.state = { waiting: { reason: 'CreateContainerError', message: unusable } };
      this.#markDirty();
      await sleep(this.#deps.backoff.maxMs, this.#stop.signal);
      return undefined;
    }
    const proc = new ContainerProcess({
      command,
      env: processEnv,
      cwd,
      user: this.#user,
      logFile: join(this.fs.root, `${spec.name}.log`),
      pidFile: join(this.fs.root, '.run', `${spec.name}.pid`),
    });
    run.proc = proc;
    run.state = { running: { startedAt: statusTime(proc.startedAt) } };
    this.#log.info({ container: spec.name, pid: proc.pid, command }, 'container started');
    if (!run.init)
      this.#startProbes(run, {
        podIP: this.podIP,
        container: spec,
        env: processEnv,
        cwd,
        user: this.#user,
        mapCommand,
      });
    this.#markDirty();
    const exit = await proc.exited;
    for (const p of run.probes) p.stop();
    run.probes = [];
    run.proc = undefined;
    run.ready = false;
    run.started = false;
    run.state = {
      terminated: {
        exitCode: exit.exitCode,
        ...(exit.signal === null ? {} : { signal: exitSignalNumber(exit.exitCode) }),
        reason: exit.startError !== undefined ? 'StartError' : exit.exitCode === 0 ? 'Completed' : 'Error',
        ...(exit.startError === undefined ? {} : { message: exit.startError }),
        startedAt: statusTime(exit.startedAt),
        finishedAt: statusTime(exit.finishedAt),
        containerID: this.#containerID(run),
      },
    };
    this.#log.info({ container: spec.name, exitCode: exit.exitCode, signal: exit.signal }, 'container exited');
    this.#markDirty();
    return exit;
  }

  #containerID(run: ContainerRun): string {
    return `local://${this.pod.metadata?.uid ?? ''}/${run.spec.name}/${run.restartCount}`;
  }

  /** Startup first; liveness and readiness once it succeeds (immediately without one). */
  #startProbes(run: ContainerRun, ctx: ProbeContext): void {
    const spec = run.spec;
    const startOthers = (): void => {
      run.started = true;
      if (spec.readinessProbe === undefined) run.ready = true;
      this.#markDirty();
      if (spec.livenessProbe) {
        const live = new ProbeLoop('liveness', spec.livenessProbe, ctx, (ok, message) => {
          if (ok) return;
          this.#log.info({ container: spec.name, message }, 'liveness probe failed: restarting the container');
          void run.proc?.stop((spec.livenessProbe?.terminationGracePeriodSeconds ?? this.#grace()) * 1000);
        });
        run.probes.push(live);
        live.start();
      }
      if (spec.readinessProbe) {
        const ready = new ProbeLoop('readiness', spec.readinessProbe, ctx, (ok, message) => {
          if (!ok) this.#log.info({ container: spec.name, message }, 'readiness probe failed');
          run.ready = ok;
          this.#markDirty();
        });
        run.probes.push(ready);
        ready.start();
      }
    };
    if (spec.startupProbe === undefined) {
      startOthers();
      return;
    }
    const startup = new ProbeLoop('startup', spec.startupProbe, ctx, (ok, message) => {
      startup.stop();
      if (ok) {
        startOthers();
        return;
      }
      this.#log.info({ container: spec.name, message }, 'startup probe failed: restarting the container');
      void run.proc?.stop((spec.startupProbe?.terminationGracePeriodSeconds ?? this.#grace()) * 1000);
    });
    run.probes.push(startup);
    startup.start();
  }

  #grace(): number {
    return this.pod.spec?.terminationGracePeriodSeconds ?? 30;
  }

  #restartPolicy(): string {
    return this.pod.spec?.restartPolicy ?? 'Always';
  }

  /** What the process gets: an image-like base, the runtime's conventions, then the container's env. */
  #processEnv(env: Map<string, string>, pathPrefix: string[]): Record<string, string> {
    const base: Record<string, string> = {
      PATH: IMAGE_PATH,
      HOSTNAME: this.name,
      HOME: this.fs.root,
      KUBERNETES_SERVICE_HOST: this.#deps.apiServer.host,
      KUBERNETES_SERVICE_PORT: String(this.#deps.apiServer.port),
      KUBERNETES_SERVICE_PORT_HTTPS: String(this.#deps.apiServer.port),
      CNPG_POD_ROOT: this.fs.alias,
      CNPG_POD_IP: this.podIP,
    };
    const out: Record<string, string> = { ...base, ...Object.fromEntries(env) };
    if (pathPrefix.length > 0) out.PATH = [...pathPrefix, out.PATH].join(':');
    return out;
  }

  // ---- status ---------------------------------------------------------------------------------

  /** The pod's status as the kubelet would report it now. */
  status(): V1PodStatus {
    const runs = [...this.#runs.values()];
    const inits = runs.filter((r) => r.init);
    const mains = runs.filter((r) => !r.init);
    const phase = this.#phase(mains);
    const conditions: V1PodCondition[] = [];
    const cond = (type: string, ok: boolean, reason?: string, message?: string): void => {
      const status = ok ? 'True' : 'False';
      const prev = this.#conditionTimes.get(type);
      const time = prev !== undefined && prev.status === status ? prev.time : kubeTime();
      this.#conditionTimes.set(type, { status, time });
      conditions.push({
        type,
        status,
        lastTransitionTime: statusTime(new Date(time)),
        ...(reason === undefined ? {} : { reason }),
        ...(message === undefined ? {} : { message }),
      });
    };
    const terminal = phase === 'Succeeded' || phase === 'Failed';
    const notInit = inits.filter((r) => !r.finished).map((r) => r.spec.name);
    const notReady = mains.filter((r) => !r.ready).map((r) => r.spec.name);
    cond('PodReadyToStartContainers', this.#pending === undefined && this.#fatal === undefined && !terminal);
    cond(
      'Initialized',
      this.#initialized,
      this.#initialized ? undefined : 'ContainersNotInitialized',
      this.#initialized ? undefined : `containers with incomplete status: [${notInit.join(' ')}]`,
    );
    const ready = notReady.length === 0 && !terminal && this.#readinessGatesPass();
    const why = terminal ? 'PodCompleted' : 'ContainersNotReady';
    const whyMessage = terminal ? undefined : `containers with unready status: [${notReady.join(' ')}]`;
    cond('Ready', ready, ready ? undefined : why, ready ? undefined : whyMessage);
    cond('ContainersReady', ready, ready ? undefined : why, ready ? undefined : whyMessage);
    cond('PodScheduled', true);
    // Conditions written by others (readiness gates, disruption targets) are kept.
    const ours = new Set(conditions.map((c) => c.type));
    for (const c of this.pod.status?.conditions ?? []) if (!ours.has(c.type)) conditions.push(c);
    const status: V1PodStatus = {
      phase,
      conditions,
      hostIP: '127.0.0.1',
      hostIPs: [{ ip: '127.0.0.1' }],
      podIP: this.podIP,
      podIPs: [{ ip: this.podIP }],
      startTime: statusTime(new Date(this.#startTime)),
      qosClass: qosClass(mains.map((r) => r.spec)),
      initContainerStatuses: inits.map((r) => this.#containerStatus(r)),
      containerStatuses: mains.map((r) => this.#containerStatus(r)),
    };
    const note = this.#fatal ?? (phase === 'Pending' ? this.#pending : undefined);
    if (note !== undefined) {
      status.reason = note.reason;
      status.message = note.message;
    }
    return status;
  }

  #readinessGatesPass(): boolean {
    const gates = this.pod.spec?.readinessGates ?? [];
    const conds = this.pod.status?.conditions ?? [];
    return gates.every((g) => conds.some((c) => c.type === g.conditionType && c.status === 'True'));
  }

  #phase(mains: ContainerRun[]): string {
    if (this.#fatal !== undefined) return 'Failed';
    if (!this.#initialized) return 'Pending';
    if (mains.every((r) => r.finished)) {
      return mains.every((r) => r.state.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
    }
    // Running once every container has been started at least once, as the kubelet reports it.
    const started = mains.every(
      (r) => r.state.running !== undefined || r.state.terminated !== undefined || r.restartCount > 0,
    );
    return started ? 'Running' : 'Pending';
  }

  #containerStatus(run: ContainerRun): V1ContainerStatus {
    return {
      name: run.spec.name,
      image: run.spec.image ?? '',
      imageID: '',
      containerID: this.#containerID(run),
      ready: run.ready,
      started: run.started,
      restartCount: run.restartCount,
      state: run.state,
      lastState: run.lastState,
    };
  }

  /** Publishes the status soon, coalescing bursts into one write. */
  #markDirty(): void {
    this.#dirty = true;
    if (this.#publishing) return;
    this.#publishing = true;
    queueMicrotask(() => void this.#flush());
  }

  async #flush(): Promise<void> {
    try {
      while (this.#dirty) {
        this.#dirty = false;
        try {
          await this.#deps.publishStatus(this.pod, this.status());
        } catch (err) {
          if (this.#stop.signal.aborted) return;
          this.#log.warn(
            { err: err instanceof Error ? err.message : String(err) },
            'cannot publish pod status: retrying',
          );
          this.#dirty = true;
          await sleep(1000, this.#stop.signal);
        }
      }
    } finally {
      this.#publishing = false;
    }
  }

  async #publishNow(): Promise<void> {
    this.#markDirty();
    while (this.#publishing) await new Promise((r) => setTimeout(r, 10));
  }
}

function exitSignalNumber(exitCode: number): number {
  return exitCode > 128 ? exitCode - 128 : 0;
}

function formatDelay(ms: number): string {
  if (ms >= 60_000) return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
  return ms >= 1000 ? `${Math.round(ms / 1000)}s` : `${ms}ms`;
}

/** Kubernetes' QoS class from the containers' requests and limits. */
export function qosClass(containers: V1Container[]): string {
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length > 0 || Object.keys(lim).length > 0) any = true;
    for (const r of ['cpu', 'memory']) {
      const l = lim[r];
      const q = req[r] ?? l;
      if (l === undefined || String(q) !== String(l)) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
