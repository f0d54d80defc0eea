// The Ready condition that follows a Cluster's phase (the phase strings are in api/v1/cluster-phases.ts).

import { PHASES } from '../../api/v1/cluster-phases.ts';

export const READY_CONDITION = 'Ready';
export const READY_REASONS = { ready: 'ClusterIsReady', notReady: 'ClusterIsNotReady' } as const;

/** The condition as the API stores it (client-node types times as Date; the wire carries strings). */
export interface StatusCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** Upstream's Ready condition for a phase: true only in the healthy state. */
export function readyConditionFor(phase: string): Omit<StatusCondition, 'lastTransitionTime'> {
  const ready = phase === PHASES.healthy;
  return {
    type: READY_CONDITION,
    status: ready ? 'True' : 'False',
    reason: ready ? READY_REASONS.ready : READY_REASONS.notReady,
    message: ready ? 'Cluster is Ready' : 'Cluster Is Not Ready',
  };
}

/**
 * The conditions with `wanted` set: its transition time kept when its status did not change (as
 * meta.SetStatusCondition does), other conditions untouched.
 */
export function setCondition(
  conditions: readonly StatusCondition[] | undefined,
  wanted: Omit<StatusCondition, 'lastTransitionTime'>,
  now: Date = new Date(),
): StatusCondition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === wanted.type);
  const existing = i < 0 ? undefined : list[i];
  const lastTransitionTime =
    existing !== undefined && existing.status === wanted.status
      ? toWireTime(existing.lastTransitionTime)
      : now.toISOString().replace(/\.\d+Z$/, 'Z');
  const next: StatusCondition = { ...wanted, lastTransitionTime };
  if (i < 0) list.push(next);
  else list[i] = next;
  return list;
}

/** A time read back through client-node may be a Date; status writes carry RFC 3339 strings. */
export function toWireTime(t: unknown): string {
  if (t instanceof Date) return t.toISOString().replace(/\.\d+Z$/, 'Z');
  return String(t);
}
