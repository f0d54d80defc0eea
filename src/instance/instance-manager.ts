// `cnpg instance run`: PID 1 of an instance. Supervises the postmaster (restarts it when it
// dies), keeps its configuration in line with the Cluster file, performs role changes and fencing
// when asked, serves probes and status, and stops PostgreSQL in stages on SIGTERM.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PENDING_FAILOVER, PHASES } from '../api/v1/cluster-phases.ts';
import { FENCE_ALL, FENCED_INSTANCES_ANNOTATION, parseFencedInstances } from '../api/v1/fencing.ts';
import type { Cluster } from '../api/v1/cluster-types.ts';
import { type InstanceContext, setCluster } from './context.ts';
import { checkExistingDataDirectory, ensureScratchDirectories } from './data-directory.ts';
import { errorMessage } from './errors.ts';
import { FailoverQuorumRecorder } from './failover-quorum.ts';
import { leaseTimings, PrimaryLease } from './primary-lease.ts';
import { ISOLATION_CHECK_INTERVAL_MS, ISOLATION_GRACE_MS, reachesClusterOrPeers } from './isolation.ts';
import { type LogPipes, startLogPipes } from './log-pipe.ts';
import {
  defaultReplicaSource,
  isStandbyDataDirectory,
  type ReplicaSource,
  writeConfiguration,
} from './pgdata-config.ts';
import { Postmaster, sleep, waitUntilAccepting } from './postmaster.ts';
import { reconcileReplicationSlots, streamingReplicaSql, superuserPasswordSql } from './primary-setup.ts';
import { type ProbeKind, type ProbeResult, runProbe } from './probes.ts';
import { ReplicationSlotSync } from './replication-slot-sync.ts';
import { recloneFrom, rewindFrom, shutdownCheckpointLsn } from './resync.ts';
import { readBasicAuth } from './secrets.ts';
import { stagedShutdown, switchoverPlan, terminationPlan } from './shutdown.ts';
import type { PostgresqlStatus } from '../api/v1/instance-status.ts';
import { collectStatus, WRITE_TIMELINE_SQL } from './status.ts';

const RESTART_BACKOFF_MS = [500, 1000, 2000, 5000];
const CONFIG_LOAD_TIMEOUT_MS = 10_000;
/** How long a crashed primary waits for a failover (the operator confirms a failure within ~1 s). */
const CRASH_HOLD_MS = 5_000;
const NEW_PRIMARY_POLL_MS = 250;
/** How much longer than a lease a promotion waits for it (a renewal in flight, clock steps). */
const LEASE_WAIT_MARGIN_SECONDS = 10;
/** An isolated primary's shutdown budget: fast, then immediate (its writes may not count any more). */
const ISOLATION_STOP_SECONDS = 5;
/** Failed isolation checks in a row before a primary counts as isolated (a thawed process fails one). */
const ISOLATION_FAILED_CHECKS = 3;

/** What the manager is doing besides running PostgreSQL; anything but `running` makes it not ready. */
export type Phase =
  | 'starting'
  | 'running'
  | 'restarting'
  | 'promoting'
  | 'demoting'
  | 'rewinding'
  | 'fenced'
  | 'isolated'
  | 'stopping';

export interface ReloadResult {
  changed: boolean;
  pendingRestart: boolean;
  pendingRestartParameters: string[];
}

/** An operation refused because of the instance's state (HTTP 409). */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

const MANAGER_VERSION = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();

function annotatedFenced(ctx: InstanceContext): boolean {
  const value = ctx.cluster.metadata?.annotations?.[FENCED_INSTANCES_ANNOTATION];
  const names = parseFencedInstances(value);
  if (names === undefined) {
    ctx.log.warn({ value }, `ignoring ${FENCED_INSTANCES_ANNOTATION}: not a JSON list`);
    return false;
  }
  return names.includes(FENCE_ALL) || names.includes(ctx.options.podName);
}

export class InstanceManager {
  readonly ctx: InstanceContext;
  readonly sessionID = randomUUID();
  private postmaster: Postmaster | undefined;
  private phase: Phase = 'starting';
  /** PostgreSQL should be up (false while fenced or shutting down). */
  private wanted = true;
  private fencedByRequest = false;
  private shuttingDown = false;
  private source: ReplicaSource;
  /** An operation left the data directory unusable: the liveness probe fails so the pod restarts. */
  private broken: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private logPipes: LogPipes | undefined;
  private restartAttempt = 0;
  private stopped: Promise<void> | undefined;
  private steppingDown = false;
  /** Since when this primary reached neither the API server nor a peer (isolation check). */
  private isolatedSince: number | undefined;
  private isolationTimer: NodeJS.Timeout | undefined;
  private checkingIsolation = false;
  private isolationFailures = 0;
  /** Undefined without an API server (a --cluster-file instance): nothing to coordinate with. */
  private readonly lease: PrimaryLease | undefined;
  /** The primary's synchronous setup, recorded for quorum-based failover. */
  private readonly quorum = new FailoverQuorumRecorder();
  /** Mirrors the primary's replication slots while this instance runs as a standby. */
  private readonly slotSync: ReplicationSlotSync;

  constructor(ctx: InstanceContext) {
    this.ctx = ctx;
    this.source = defaultReplicaSource(ctx);
    this.slotSync = new ReplicationSlotSync(
      ctx,
      () => this.source,
      () => this.phase === 'running' && this.isReplica,
    );
    const kc = ctx.source.kubeConfig;
    this.lease =
      kc === undefined
        ? undefined
        : new PrimaryLease(
            kc,
            ctx.options.namespace,
            ctx.clusterName,
            ctx.options.podName,
            () => leaseTimings(ctx.cluster),
            ctx.log,
          );
    this.lease?.onLost((reason) => void this.leaseLost(reason));
  }

  /**
   * A primary whose lease may be taken (not renewed in time, or taken over) stops PostgreSQL
   * before a successor can promote; it comes back through the isolation check's recovery, as
   * primary again or as a standby of the new one.
   */
  private async leaseLost(reason: string): Promise<void> {
    if (this.isReplica || this.shuttingDown || this.phase !== 'running') return;
    if ((this.ctx.cluster.spec.instances ?? 1) < 2) return;
    this.ctx.log.error({ reason }, 'primary lease lost: stopping PostgreSQL');
    await this.isolate().catch((err: unknown) =>
      this.ctx.log.error({ err: errorMessage(err) }, 'cannot stop PostgreSQL after losing the primary lease'),
    );
  }

  /** Stops accepting writes at once (fast, then immediate); the isolation check brings it back. */
  private async isolate(): Promise<void> {
    this.phase = 'isolated';
    await this.stopPostgres({ budgetSeconds: ISOLATION_STOP_SECONDS, smartSeconds: 0 });
  }

  /** Holds the primary lease before acting as primary (waits while another instance holds it). */
  private async acquireLease(why: string): Promise<void> {
    if (this.lease === undefined) return;
    const timings = leaseTimings(this.ctx.cluster);
    const me = this.ctx.options.podName;
    await this.lease.acquire((timings.leaseDurationSeconds + LEASE_WAIT_MARGIN_SECONDS) * 1000, () => {
      const target = this.ctx.cluster.status?.targetPrimary;
      return this.shuttingDown || (target !== undefined && target !== me);
    });
    this.ctx.log.info({ why }, 'holding the primary lease');
  }

  private async releaseLease(successor?: string): Promise<void> {
    await this.lease?.release(successor);
  }

  get currentPhase(): Phase {
    return this.phase;
  }

  /** Runs `op` after every operation queued before it. */
  private exclusive<T>(op: () => Promise<T>): Promise<T> {
    const result = this.queue.then(op, op);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private get isReplica(): boolean {
    return isStandbyDataDirectory(this.ctx.options.pgdata);
  }

  private get fenced(): boolean {
    return this.fencedByRequest || annotatedFenced(this.ctx);
  }

  /** Checks and prepares everything `run` needs; throws InstanceError on bad input. */
  prepare(): void {
    const { options, podUser } = this.ctx;
    checkExistingDataDirectory(options.pgdata, podUser);
    ensureScratchDirectories(
      { ...options, logDir: this.ctx.logDir, certificatesDir: this.ctx.certificatesDir },
      podUser,
    );
    setCluster(this.ctx, this.ctx.cluster);
    if (this.ctx.cluster.spec.enableSuperuserAccess === true) this.superuserPassword();
  }

  private superuserPassword(): string | undefined {
    if (this.ctx.cluster.spec.enableSuperuserAccess !== true) return undefined;
    return readBasicAuth(
      this.ctx.options.superuserSecretDir,
      'the superuser secret (enableSuperuserAccess is true)',
      '--superuser-secret-dir',
    ).password;
  }

  /** Starts PostgreSQL (unless fenced); resolves once it accepts connections or startup failed. */
  async start(): Promise<void> {
    try {
      this.logPipes = startLogPipes(this.ctx.logDir, 'postgres', this.ctx.podUser, this.ctx.log);
      writeConfiguration(this.ctx, this.ctx.options.pgdata, this.isReplica ? this.source : undefined);
    } catch (err) {
      this.broken = `cannot prepare PostgreSQL: ${errorMessage(err)}`;
      throw err;
    }
    if (this.fenced) {
      this.wanted = false;
      this.phase = 'fenced';
      this.ctx.log.info('instance is fenced: PostgreSQL stays down');
      return;
    }
    if (this.mustStepDown()) {
      this.ctx.log.info(
        { targetPrimary: this.ctx.cluster.status?.targetPrimary },
        'this data directory was a primary, but the Cluster names another one: following it',
      );
      this.scheduleStepDown();
      return;
    }
    await this.exclusive(async () => {
      if (!this.isReplica) await this.acquireLease('starting as primary');
      await this.bringUp('starting');
    });
    this.isolationTimer = setInterval(() => void this.checkIsolation(), ISOLATION_CHECK_INTERVAL_MS);
    this.isolationTimer.unref();
    this.slotSync.start();
  }

  /**
   * A primary cut off from the API server and from every peer stops PostgreSQL (it may already
   * have been replaced) and comes back, as primary or as a standby of the new one, once it
   * reaches them again.
   */
  private async checkIsolation(): Promise<void> {
    const enabled = this.ctx.cluster.spec.probes?.liveness?.isolationCheck?.enabled !== false;
    const watched = (enabled && this.phase === 'running') || this.phase === 'isolated';
    if (this.checkingIsolation || this.shuttingDown || !watched || this.isReplica) return;
    if ((this.ctx.cluster.spec.instances ?? 1) < 2) return;
    this.checkingIsolation = true;
    try {
      if (await reachesClusterOrPeers(this.ctx)) {
        this.isolatedSince = undefined;
        this.isolationFailures = 0;
        if (this.phase === 'isolated') {
          this.ctx.log.info('the API server or a peer answers again: leaving isolation');
          await this.exclusive(async () => {
            setCluster(this.ctx, await this.ctx.source.load());
            if (this.mustStepDown()) return this.followNewPrimary();
            await this.acquireLease('primary back from isolation');
            await this.bringUp('starting');
          });
        }
        return;
      }
      this.isolatedSince ??= Date.now();
      this.isolationFailures++;
      const isolatedFor = Date.now() - this.isolatedSince;
      if (
        this.phase !== 'running' ||
        isolatedFor < ISOLATION_GRACE_MS ||
        this.isolationFailures < ISOLATION_FAILED_CHECKS
      ) {
        return;
      }
      this.ctx.log.error(
        { isolatedMs: Date.now() - this.isolatedSince },
        'isolated primary: neither the API server nor any peer answers; stopping PostgreSQL',
      );
      await this.isolate();
    } catch (err) {
      this.ctx.log.warn({ err: errorMessage(err) }, 'isolation check failed');
    } finally {
      this.checkingIsolation = false;
    }
  }

  /** Starts the postmaster and waits until it accepts connections, retrying with backoff. */
  private async bringUp(phase: Phase): Promise<void> {
    this.phase = phase;
    const startDelayMs = (this.ctx.cluster.spec.startDelay ?? 3600) * 1000;
    for (;;) {
      if (!this.wanted || this.shuttingDown) return;
      const pm = this.launch();
      try {
        await waitUntilAccepting(this.ctx, pm, startDelayMs);
        this.restartAttempt = 0;
        this.phase = 'running';
        await this.afterStart();
        return;
      } catch (err) {
        this.ctx.log.error({ err: errorMessage(err) }, 'PostgreSQL did not start');
        if (pm.alive) {
          pm.requestShutdown('immediate');
          await pm.waitForExit(10_000);
        }
        await sleep(RESTART_BACKOFF_MS[Math.min(this.restartAttempt++, RESTART_BACKOFF_MS.length - 1)] ?? 5000);
      }
    }
  }

  private launch(): Postmaster {
    const pm = Postmaster.start(this.ctx, this.ctx.options.pgdata);
    this.postmaster = pm;
    void pm.exited.then((info) => {
      if (this.postmaster !== pm) return;
      this.postmaster = undefined;
      if (!this.wanted || this.shuttingDown || this.phase !== 'running') return;
      const holdMs = this.crashHoldMs();
      this.ctx.log.error(
        { pid: pm.pid, code: info.code, signal: info.signal, holdMs },
        holdMs > 0
          ? 'primary postmaster exited unexpectedly: waiting for a failover before restarting it'
          : 'postmaster exited unexpectedly: restarting it',
      );
      this.phase = 'restarting';
      void this.exclusive(async () => {
        if (this.postmaster !== undefined || !this.wanted || this.shuttingDown) return;
        // A crashed primary lets a replica take over at once (the lease goes with it).
        if (holdMs > 0) await this.releaseLease();
        await sleep(Math.max(RESTART_BACKOFF_MS[0] ?? 500, holdMs));
        if (holdMs > 0 && (await this.replacedAsPrimary())) return;
        if (holdMs > 0) await this.acquireLease('restarting as primary after a crash');
        await this.bringUp('restarting');
      });
    });
    return pm;
  }

  /**
   * How long a primary whose postmaster crashed waits before starting it again: long enough for
   * the operator to promote a replica instead (restarting it meanwhile would make two primaries).
   * A replica, or a primary with no replica to take over, restarts at once.
   */
  private crashHoldMs(): number {
    if (this.isReplica || (this.ctx.cluster.spec.instances ?? 1) < 2) return 0;
    return CRASH_HOLD_MS + (this.ctx.cluster.spec.failoverDelay ?? 0) * 1000;
  }

  /**
   * Whether the Cluster (read again now) names another primary; if so this instance follows it.
   * The operator being unreachable counts as not replaced: PostgreSQL keeps running without it.
   */
  private async replacedAsPrimary(): Promise<boolean> {
    try {
      setCluster(this.ctx, await this.ctx.source.load());
    } catch (err) {
      this.ctx.log.warn({ err: errorMessage(err) }, 'cannot read the Cluster: restarting as primary');
      return false;
    }
    if (!this.mustStepDown()) return false;
    await this.followNewPrimary();
    return true;
  }

  /**
   * This instance runs as a primary but was replaced: a failover is under way (`pending`), or
   * another instance is already the current primary. A switchover to another target does not
   * count: the operator asks this primary to step down (stepDown) when the target is ready.
   */
  private mustStepDown(): boolean {
    const me = this.ctx.options.podName;
    const status = this.ctx.cluster.status;
    const target = status?.targetPrimary;
    if (this.isReplica || target === undefined || target === '' || target === me) return false;
    return (
      target === PENDING_FAILOVER ||
      status?.phase === PHASES.failingOver ||
      (status?.currentPrimary !== undefined && status.currentPrimary !== me)
    );
  }

  /** Queues the step-down once (the Cluster watch may report the new target many times). */
  private scheduleStepDown(asked = false): void {
    if (this.steppingDown) return;
    this.steppingDown = true;
    this.exclusive(() => this.followNewPrimary(asked))
      .catch((err: unknown) => this.ctx.log.error({ err: errorMessage(err) }, 'cannot follow the new primary'))
      .finally(() => {
        this.steppingDown = false;
      });
  }

  /**
   * Stops PostgreSQL (a former primary must not accept writes), waits until the Cluster reports
   * the new primary, rewinds from it (or clones it when rewind is impossible) and starts as its
   * standby, streaming through the read-write service as every replica does.
   */
  private async followNewPrimary(asked = false): Promise<void> {
    if (this.isReplica || this.fenced || !(asked || this.mustStepDown())) return;
    this.phase = 'demoting';
    this.ctx.log.info(
      { targetPrimary: this.ctx.cluster.status?.targetPrimary },
      'no longer the primary: stopping PostgreSQL to follow the new one',
    );
    await this.stopPostgres(switchoverPlan(this.ctx));
    // PostgreSQL is down: the instance the operator is promoting may take the lease at once.
    const target = this.ctx.cluster.status?.targetPrimary;
    const successor = target === undefined || target === PENDING_FAILOVER ? undefined : target;
    await this.releaseLease(successor);
    const newPrimary = await this.waitForNewPrimary();
    if (newPrimary === undefined) return;
    try {
      this.phase = 'rewinding';
      try {
        await rewindFrom(this.ctx, newPrimary);
      } catch (err) {
        this.ctx.log.warn({ err: errorMessage(err) }, 'pg_rewind is impossible: cloning the new primary instead');
        await recloneFrom(this.ctx, newPrimary);
      }
      writeConfiguration(this.ctx, this.ctx.options.pgdata, this.source);
    } catch (err) {
      this.broken = `demotion failed: ${errorMessage(err)}`;
      this.ctx.log.error({ err: errorMessage(err) }, 'demotion failed: the data directory needs attention');
      throw err;
    }
    await this.bringUp('starting');
    this.ctx.log.info({ primary: newPrimary.host }, 'demoted: streaming from the new primary');
  }

  /** The new primary's address once the Cluster reports it; undefined when shutting down. */
  private async waitForNewPrimary(): Promise<ReplicaSource | undefined> {
    const me = this.ctx.options.podName;
    for (;;) {
      if (this.shuttingDown) return undefined;
      const status = this.ctx.cluster.status;
      const current = status?.currentPrimary;
      const ip = current === undefined ? undefined : status?.instancesReportedState?.[current]?.ip;
      if (current !== undefined && current !== me && current === status?.targetPrimary && ip !== undefined) {
        return { host: ip, port: this.ctx.options.primaryPort };
      }
      await sleep(NEW_PRIMARY_POLL_MS);
      try {
        setCluster(this.ctx, await this.ctx.source.load());
      } catch (err) {
        this.ctx.log.warn({ err: errorMessage(err) }, 'cannot read the Cluster while waiting for the new primary');
      }
    }
  }

  /** What a primary needs for its replicas; a standby's slots follow the primary's. Failures are logged. */
  private async afterStart(): Promise<void> {
    const { sql, cluster, log, options } = this.ctx;
    try {
      if (this.isReplica) {
        this.slotSync.soon();
        return;
      }
      await this.primaryRoles();
      const created = await reconcileReplicationSlots(sql, cluster, options.podName);
      if (created.length > 0) log.info({ slots: created }, 'created replication slots');
    } catch (err) {
      log.error({ err: errorMessage(err) }, 'cannot prepare the instance for its role');
    }
  }

  /** The roles a primary keeps as the Cluster says: streaming_replica, the postgres password. */
  private async primaryRoles(): Promise<void> {
    await this.ctx.sql.exec(streamingReplicaSql() + superuserPasswordSql(this.superuserPassword()));
  }

  /** Stops the running postmaster with `plan`; resolves when it is gone. */
  private async stopPostgres(plan: ReturnType<typeof terminationPlan>): Promise<void> {
    const pm = this.postmaster;
    if (pm === undefined) return;
    await stagedShutdown(this.ctx, pm, plan);
    if (this.postmaster === pm) this.postmaster = undefined;
  }

  // ------------------------------------------------------------------ probes and status

  liveness(): ProbeResult {
    if (this.broken !== undefined) return { ok: false, detail: this.broken };
    // Startup has its own probe and planned operations stop PostgreSQL on purpose; otherwise a
    // wanted postmaster that is gone (crashed, or failing to come back) fails the liveness probe.
    if (this.wanted && (this.phase === 'running' || this.phase === 'restarting') && this.postmaster === undefined) {
      return { ok: false, detail: 'postmaster is not running' };
    }
    return { ok: true, detail: this.phase };
  }

  async probe(kind: ProbeKind): Promise<ProbeResult> {
    if (this.fenced) return { ok: false, detail: 'instance is fenced' };
    if (this.phase !== 'running') return { ok: false, detail: `instance is ${this.phase}` };
    if (this.postmaster === undefined) return { ok: false, detail: 'postmaster is not running' };
    try {
      return await runProbe(this.ctx, kind);
    } catch (err) {
      return { ok: false, detail: errorMessage(err) };
    }
  }

  async status(): Promise<PostgresqlStatus> {
    if (this.postmaster === undefined) throw new ConflictError(`PostgreSQL is not running (instance is ${this.phase})`);
    return collectStatus(this.ctx, {
      isPgRewindRunning: this.phase === 'rewinding',
      mightBeUnavailable: this.phase !== 'running',
      isFenced: this.fenced,
      instanceManagerVersion: MANAGER_VERSION,
      sessionID: this.sessionID,
    });
  }

  // ------------------------------------------------------------------ configuration

  /**
   * Applies `next` (a version the watch delivered) or the Cluster read again from its source; an
   * invalid Cluster changes nothing.
   */
  reload(next?: Cluster): Promise<ReloadResult> {
    return this.exclusive(async () => {
      const cluster = next ?? (await this.ctx.source.load());
      const wasFenced = this.fenced;
      const formerPrimary = this.ctx.cluster.status?.currentPrimary;
      setCluster(this.ctx, cluster);
      const result = await this.applyConfiguration();
      if (this.isReplica && !result.changed && cluster.status?.currentPrimary !== formerPrimary) {
        // A standby retries a lost primary only every wal_retrieve_retry_interval (5 s); a reload
        // wakes its startup process, which connects to the new primary through -rw at once.
        this.postmaster?.sendSignal('SIGHUP');
      }
      if (wasFenced !== this.fenced) await (this.fenced ? this.fenceNow() : this.unfenceNow());
      if (this.mustStepDown() && this.phase === 'running') this.scheduleStepDown();
      return result;
    });
  }

  private async applyConfiguration(): Promise<ReloadResult> {
    // A change of synchronous standbys is covered in the failover quorum before PostgreSQL sees it.
    const primaryRunning = !this.isReplica && this.postmaster !== undefined && this.phase === 'running';
    if (primaryRunning) await this.quorum.coverNextConfiguration(this.ctx);
    const written = writeConfiguration(this.ctx, this.ctx.options.pgdata, this.isReplica ? this.source : undefined);
    const pm = this.postmaster;
    if (pm === undefined || this.phase !== 'running') {
      return { changed: written.changed, pendingRestart: false, pendingRestartParameters: [] };
    }
    if (written.changed) {
      this.ctx.log.info('configuration changed: reloading PostgreSQL');
      pm.sendSignal('SIGHUP');
      await this.waitForConfiguration(written.sha256);
    }
    if (!this.isReplica) await this.quorum.recordRunningConfiguration(this.ctx);
    if (!this.isReplica) await reconcileReplicationSlots(this.ctx.sql, this.ctx.cluster, this.ctx.options.podName);
    const pending = await this.ctx.sql.query<{ name: string }>(
      'SELECT name FROM pg_catalog.pg_settings WHERE pending_restart ORDER BY name',
    );
    const names = pending.map((p) => p.name);
    if (names.length > 0) this.ctx.log.info({ parameters: names }, 'configuration change needs a restart');
    return { changed: written.changed, pendingRestart: names.length > 0, pendingRestartParameters: names };
  }

  private async waitForConfiguration(sha: string): Promise<void> {
    const deadline = Date.now() + CONFIG_LOAD_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const [row] = await this.ctx.sql.query<{ sha: string | null }>(
        "SELECT current_setting('cnpg.config_sha256', true) AS sha",
      );
      if (row?.sha === sha) return;
      await sleep(100);
    }
    throw new Error('PostgreSQL did not load the new configuration (see its log for the rejected setting)');
  }

  restart(): Promise<void> {
    return this.exclusive(async () => {
      if (this.fenced) throw new ConflictError('instance is fenced');
      this.phase = 'restarting';
      await this.stopPostgres({ budgetSeconds: this.ctx.cluster.spec.stopDelay ?? 1800, smartSeconds: 0 });
      writeConfiguration(this.ctx, this.ctx.options.pgdata, this.isReplica ? this.source : undefined);
      await this.bringUp('restarting');
    });
  }

  // ------------------------------------------------------------------ role changes

  promote(): Promise<{ timeLineID: number }> {
    return this.exclusive(async () => {
      if (this.postmaster === undefined || this.phase !== 'running') {
        throw new ConflictError(`cannot promote: instance is ${this.phase}`);
      }
      if (!this.isReplica) throw new ConflictError('cannot promote: instance is already a primary');
      this.phase = 'promoting';
      try {
        await this.acquireLease('promotion');
        const timeout = this.ctx.cluster.spec.postgresql?.promotionTimeout ?? 40_000_000;
        this.ctx.log.info('promoting to primary');
        const [row] = await this.ctx.sql.query<{ promoted: boolean }>(
          `SELECT pg_catalog.pg_promote(true, ${Math.min(timeout, 2_147_483)}) AS promoted`,
          { timeoutMs: (Math.min(timeout, 3600) + 10) * 1000 },
        );
        if (row?.promoted !== true) throw new Error(`PostgreSQL did not finish promotion within ${timeout}s`);
        const [written] = await this.ctx.sql.query<{ timeline: number }>(`SELECT ${WRITE_TIMELINE_SQL} AS timeline`);
        // The standbys stream through their HA slots: they must exist before -rw leads them here.
        await reconcileReplicationSlots(this.ctx.sql, this.ctx.cluster, this.ctx.options.podName).catch(
          (err: unknown) => this.ctx.log.warn({ err: errorMessage(err) }, 'HA slots not created yet'),
        );
        this.phase = 'running';
        // The rest does not stand between the clients and the new primary: the operator moves the
        // -rw label as soon as this answers.
        void this.exclusive(() => this.afterPromotion());
        const timeLineID = written?.timeline ?? 0;
        this.ctx.log.info({ timeLineID }, 'promoted to primary');
        return { timeLineID };
      } finally {
        if (this.phase === 'promoting') this.phase = 'running';
      }
    });
  }

  /** What a new primary owes the others: its new timeline in pg_control, its configuration, slots. */
  private async afterPromotion(): Promise<void> {
    try {
      // Former primaries wait for pg_control to name the new timeline before pg_rewind (resync.ts):
      // an immediate checkpoint gets there sooner than the spread end-of-recovery one.
      await this.ctx.sql.exec('CHECKPOINT;', { timeoutMs: 600_000 });
      // The slots were made before answering and applyConfiguration reconciles them again.
      await this.applyConfiguration();
      await this.primaryRoles();
    } catch (err) {
      this.ctx.log.error({ err: errorMessage(err) }, 'after promotion: checkpoint or configuration failed');
    }
  }

  /**
   * The first half of a switchover: stop accepting writes (checkpoint, fast shutdown: the WAL
   * senders hand every record to the standbys before the postmaster exits) and report where the
   * WAL ends, so the operator promotes the target only once it has received all of it. The
   * instance then follows the new primary on its own.
   */
  stepDown(successor?: string): Promise<{ lsn: string }> {
    return this.exclusive(async () => {
      if (this.isReplica) throw new ConflictError('cannot step down: instance is not a primary');
      if (this.fenced) throw new ConflictError('cannot step down: instance is fenced');
      this.phase = 'demoting';
      this.ctx.log.info({ successor }, 'stepping down: stopping PostgreSQL for a switchover');
      await this.stopPostgres(switchoverPlan(this.ctx));
      await this.releaseLease(successor);
      const lsn = await shutdownCheckpointLsn(this.ctx);
      this.ctx.log.info({ lsn }, 'stepped down');
      this.scheduleStepDown(true);
      return { lsn };
    });
  }

  /** Makes this instance a standby of `source` (pg_rewind, or a new clone when rewind is impossible). */
  demote(source: ReplicaSource | undefined): Promise<void> {
    return this.exclusive(async () => {
      if (this.fenced) throw new ConflictError('cannot demote: instance is fenced');
      const target = source ?? this.source;
      if (this.isReplica) {
        this.source = target;
        await this.applyConfiguration();
        return;
      }
      this.phase = 'demoting';
      this.ctx.log.info({ source: `${target.host}:${target.port}` }, 'demoting to replica');
      await this.stopPostgres(switchoverPlan(this.ctx));
      this.source = target;
      try {
        this.phase = 'rewinding';
        try {
          await rewindFrom(this.ctx, target);
        } catch (err) {
          this.ctx.log.warn({ err: errorMessage(err) }, 'pg_rewind is impossible: cloning the new primary instead');
          await recloneFrom(this.ctx, target);
        }
        writeConfiguration(this.ctx, this.ctx.options.pgdata, target);
      } catch (err) {
        this.broken = `demotion failed: ${errorMessage(err)}`;
        this.ctx.log.error({ err: errorMessage(err) }, 'demotion failed: the data directory needs attention');
        throw err;
      }
      await this.bringUp('starting');
      this.ctx.log.info('demoted: streaming from the new primary');
    });
  }

  // ------------------------------------------------------------------ fencing

  fence(): Promise<void> {
    return this.exclusive(async () => {
      this.fencedByRequest = true;
      await this.fenceNow();
    });
  }

  unfence(): Promise<void> {
    return this.exclusive(async () => {
      this.fencedByRequest = false;
      if (annotatedFenced(this.ctx)) throw new ConflictError(`instance stays fenced by ${FENCED_INSTANCES_ANNOTATION}`);
      await this.unfenceNow();
    });
  }

  private async fenceNow(): Promise<void> {
    this.wanted = false;
    this.phase = 'fenced';
    this.ctx.log.info('fencing: stopping PostgreSQL');
    await this.stopPostgres(switchoverPlan(this.ctx));
    if (!this.isReplica) await this.releaseLease();
  }

  private async unfenceNow(): Promise<void> {
    if (this.postmaster !== undefined) return;
    this.wanted = true;
    this.ctx.log.info('unfencing: starting PostgreSQL');
    if (!this.isReplica) await this.acquireLease('unfenced primary');
    writeConfiguration(this.ctx, this.ctx.options.pgdata, this.isReplica ? this.source : undefined);
    await this.bringUp('starting');
  }

  // ------------------------------------------------------------------ termination

  /** SIGTERM: stop PostgreSQL in stages (not queued: it preempts whatever is running). */
  shutdown(): Promise<void> {
    this.stopped ??= (async () => {
      this.shuttingDown = true;
      clearInterval(this.isolationTimer);
      this.slotSync.stop();
      this.wanted = false;
      this.phase = 'stopping';
      this.ctx.log.info('termination requested: shutting PostgreSQL down');
      // A primary with replicas and an operator skips the smart stage: a replica takes over once it
      // stopped (and released the lease), so waiting for sessions would only prolong the outage.
      const plan = terminationPlan(this.ctx);
      const replaced = !this.isReplica && (this.ctx.cluster.spec.instances ?? 1) > 1 && this.lease !== undefined;
      await this.stopPostgres(replaced ? { ...plan, smartSeconds: 0 } : plan);
      if (!this.isReplica) await this.releaseLease();
      this.lease?.stop();
      this.logPipes?.close();
      this.ctx.log.info('instance manager stopped');
    })();
    return this.stopped;
  }
}
