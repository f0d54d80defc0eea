// The `cnpg.io/podPatch` annotation of a Cluster: a JSON patch (RFC 6902) applied, as upstream
// applies it, to every instance Pod the operator builds (metadata and spec), before the
// `cnpg.io/podSpec` snapshot is taken, so that a changed patch rolls the instances out.
import type { V1Pod } from '@kubernetes/client-node';
import { applyJsonPatch, JsonPatchError } from '../../api/json-patch.ts';
import type { Cluster } from '../../api/v1/cluster-types.ts';
import { fieldErr } from '../../api/v1/field-error.ts';
import { ANNOTATIONS } from './labels.ts';

/** A podPatch that cannot be decoded or does not apply to the pod. */
export class PodPatchError extends Error {
  /** Upstream's webhook detail for this failure ("error decoding JSON patch: ..."). */
  readonly detail: string;

  constructor(message: string, detail: string) {
    super(message);
    this.name = 'PodPatchError';
    this.detail = detail;
  }
}

/** `pod` with the Cluster's podPatch applied; `pod` itself when there is none. Throws PodPatchError. */
export function applyPodPatch(cluster: Cluster, pod: V1Pod): V1Pod {
  const text = cluster.metadata?.annotations?.[ANNOTATIONS.podPatch];
  if (text === undefined || text === '') return pod;
  let patch: unknown;
  try {
    patch = JSON.parse(text);
  } catch (err) {
    const reason = (err as Error).message;
    throw new PodPatchError(
      `while decoding JSON patch from annotation: ${reason}`,
      `error decoding JSON patch: ${reason}`,
    );
  }
  try {
    return applyJsonPatch(pod, patch) as V1Pod;
  } catch (err) {
    if (!(err instanceof JsonPatchError)) throw err;
    const detail =
      err.failure === 'malformed'
        ? `error decoding JSON patch: ${err.message}`
        : `jsonpatch doesn't apply cleanly to the pod: ${err.message}`;
    throw new PodPatchError(`while applying JSON patch from annotation: ${err.message}`, detail);
  }
}

/**
 * The Cluster's podPatch checked against the instance pod `build` makes (before the patch), with
 * upstream's webhook wording: the admission check has only a stand-in pod, the operator has the real
 * one. Undefined when the patch applies or there is none (then no pod is built).
 */
export function podPatchProblem(cluster: Cluster, build: () => V1Pod): string | undefined {
  const text = cluster.metadata?.annotations?.[ANNOTATIONS.podPatch];
  if (text === undefined) return undefined;
  try {
    applyPodPatch(cluster, build());
    return undefined;
  } catch (err) {
    if (!(err instanceof PodPatchError)) throw err;
    return String(fieldErr.invalid(`metadata.annotations.${ANNOTATIONS.podPatch}`, text, err.detail));
  }
}
