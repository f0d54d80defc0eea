// Startup and readiness checks with upstream's strategies (webserver/probes): `pg_isready`
// (default), `query` (a superuser connection runs a query) and `streaming` (a replica must be
// streaming, within `maximumLag` bytes when set; a primary always passes).
import type { ProbeWithStrategy } from '../api/v1/cluster-types.ts';
import { parseQuantity } from '../api/v1/quantity.ts';
import type { InstanceContext } from './context.ts';

export type ProbeKind = 'startup' | 'readiness';

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

function probeOf(ctx: InstanceContext, kind: ProbeKind): ProbeWithStrategy | undefined {
  return ctx.cluster.spec.probes?.[kind];
}

async function streamingCheck(ctx: InstanceContext, maximumLag: bigint | undefined): Promise<ProbeResult> {
  const row = await ctx.sql.queryOne<{
    in_recovery: boolean;
    no_source: boolean;
    lag: string | null;
    latest_end_time: string | null;
  }>(
    `SELECT pg_catalog.pg_is_in_recovery() AS in_recovery,
       (SELECT coalesce(setting, '') = '' FROM pg_catalog.pg_settings WHERE name = 'primary_conninfo') AS no_source,
       (SELECT (latest_end_lsn - pg_catalog.pg_last_wal_replay_lsn())::bigint::text FROM pg_catalog.pg_stat_wal_receiver) AS lag,
       (SELECT latest_end_time::text FROM pg_catalog.pg_stat_wal_receiver) AS latest_end_time`,
    { timeoutMs: 5_000 },
  );
  if (!row.in_recovery) return { ok: true, detail: 'primary' };
  if (row.no_source) return { ok: true, detail: 'replica without a streaming source' };
  if (row.lag === null) return { ok: false, detail: 'replica not connected via streaming replication' };
  const lag = BigInt(row.lag);
  if (maximumLag !== undefined && lag > maximumLag) {
    return {
      ok: false,
      detail: `streaming replica lagging; detectedLag=${lag} configuredLag=${maximumLag} latestEndTime=${row.latest_end_time}`,
    };
  }
  return { ok: true, detail: `streaming, lag ${lag} bytes` };
}

/** Runs the probe of `kind` with the strategy the Cluster chose for it. */
export async function runProbe(ctx: InstanceContext, kind: ProbeKind): Promise<ProbeResult> {
  const probe = probeOf(ctx, kind);
  switch (probe?.type ?? 'pg_isready') {
    case 'query':
      await ctx.sql.query('SELECT 1', { timeoutMs: 5_000 });
      return { ok: true, detail: 'query succeeded' };
    case 'streaming': {
      const lag = probe?.maximumLag;
      return streamingCheck(ctx, lag === undefined ? undefined : BigInt(Math.floor(parseQuantity(lag))));
    }
    default:
      return (await ctx.sql.isReady(2))
        ? { ok: true, detail: 'accepting connections' }
        : { ok: false, detail: 'pg_isready: the server does not accept connections' };
  }
}
