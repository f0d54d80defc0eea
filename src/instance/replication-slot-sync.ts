// The standby's slot synchroniser: every `spec.replicationSlots.updateInterval` seconds it reads the
// primary's physical slots (as streaming_replica, through the same connection string as streaming
// replication, over `-rw`), and creates, advances and drops local slots as replication-slots.ts
// plans. Failures are logged and retried at the next interval; they never stop the manager.
import type { InstanceContext } from './context.ts';
import { errorMessage } from './errors.ts';
import type { ReplicaSource } from './pgdata-config.ts';
import { querySource } from './source-sql.ts';
import {
  isEmpty,
  localSlots,
  PHYSICAL_SLOTS_QUERY,
  planStandbySlots,
  type SlotRow,
  type SlotState,
  slotChangesSql,
  slotPolicy,
  toSlotState,
} from './replication-slots.ts';

const PRIMARY_QUERY_TIMEOUT_MS = 15_000;

/** The primary's physical slots; throws when `source` is not a primary (mid-switchover, `-rw` lags). */
async function primarySlots(ctx: InstanceContext, source: ReplicaSource): Promise<SlotState[]> {
  const script = `SELECT json_build_object('inRecovery', pg_catalog.pg_is_in_recovery(),
    'slots', (SELECT coalesce(json_agg(q), '[]'::json) FROM (${PHYSICAL_SLOTS_QUERY}) AS q));\n`;
  const out = await querySource(ctx, source, script, PRIMARY_QUERY_TIMEOUT_MS).catch((err: unknown) => {
    throw new Error(`cannot read the primary's replication slots: ${errorMessage(err)}`);
  });
  const answer = JSON.parse(out) as { inRecovery: boolean; slots: SlotRow[] };
  if (answer.inRecovery) {
    throw new Error(`the server at ${source.host}:${source.port} is not a primary (it is in recovery)`);
  }
  return answer.slots.map(toSlotState);
}

export class ReplicationSlotSync {
  private readonly ctx: InstanceContext;
  private readonly source: () => ReplicaSource;
  private readonly active: () => boolean;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;
  /** A pass was asked for while one ran: the next starts at once. */
  private again = false;
  private stopped = false;
  /** The last failure logged: the same failure every interval (a primary down for a while) is logged once. */
  private lastFailure: string | undefined;

  /** `active` says whether this instance is a running standby; it is checked before every change. */
  constructor(ctx: InstanceContext, source: () => ReplicaSource, active: () => boolean) {
    this.ctx = ctx;
    this.source = source;
    this.active = active;
  }

  start(): void {
    this.stopped = false;
    this.schedule(this.intervalMs());
  }

  /** Runs a pass now (a standby just started) instead of at the next interval. */
  soon(): void {
    if (this.stopped) return;
    if (this.inFlight) this.again = true;
    else this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private intervalMs(): number {
    try {
      return slotPolicy(this.ctx.cluster).updateIntervalMs;
    } catch {
      return 30_000; // an unusable exclude pattern is reported by the pass itself
    }
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.inFlight) return;
    this.inFlight = true;
    try {
      if (this.active()) {
        await this.pass();
        if (this.lastFailure !== undefined) this.ctx.log.info('replication slots synchronised again');
        this.lastFailure = undefined;
      }
    } catch (err) {
      const message = errorMessage(err);
      if (message !== this.lastFailure) this.ctx.log.warn({ err: message }, 'cannot synchronise replication slots');
      this.lastFailure = message;
    } finally {
      this.inFlight = false;
    }
    if (this.stopped) return;
    const now = this.again;
    this.again = false;
    this.schedule(now ? 0 : this.intervalMs());
  }

  private async pass(): Promise<void> {
    const { ctx } = this;
    const policy = slotPolicy(ctx.cluster);
    const local = await localSlots(ctx.sql);
    const primary =
      policy.highAvailability || policy.synchronizeReplicas ? await primarySlots(ctx, this.source()) : undefined;
    // Promoted (or stopped) while the primary was asked: what was read no longer applies.
    if (!this.active()) return;
    const changes = planStandbySlots(primary, local, policy, ctx.options.podName);
    if (isEmpty(changes)) return;
    await ctx.sql.exec(slotChangesSql(changes));
    const created = changes.create.map((s) => s.name);
    if (created.length > 0 || changes.drop.length > 0) {
      ctx.log.info({ created, dropped: changes.drop }, 'replication slots mirrored from the primary');
    }
    ctx.log.debug({ advanced: changes.advance }, 'replication slots advanced');
  }
}
