// Small client-node helpers shared by the node agent's controllers and the service proxy.
import {
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
  type ObjectCache,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { apiErrorMessage } from '../../kube/patch.ts';
import type { Logger } from '../../log/logger.ts';

/** Request options that send a JSON merge patch. */
export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export type WatchedCache<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;

/**
 * An informer that lists then watches `path` and, unlike client-node's, starts again after an
 * error (the API server restarting, a dropped connection) instead of going quiet.
 */
export async function startInformer<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  list: () => Promise<KubernetesListObject<T>>,
  log: Logger,
  setup: (informer: WatchedCache<T>) => void,
): Promise<WatchedCache<T>> {
  const informer = makeInformer<T>(kc, path, list);
  let stopped = false;
  informer.on('error', (err: unknown) => {
    if (stopped) return;
    log.warn({ path, err: apiErrorMessage(err) }, 'watch failed: starting again');
    setTimeout(() => {
      if (!stopped) informer.start().catch(() => {});
    }, 500);
  });
  const stop = informer.stop.bind(informer);
  informer.stop = async () => {
    stopped = true;
    await stop();
  };
  setup(informer);
  await informer.start();
  return informer;
}

/** `namespace/name` of an object. */
export const objectKey = (o: KubernetesObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The random suffix Kubernetes gives generated names (5 characters of a vowel-free alphabet). */
export function randomSuffix(length = 5): string {
  let s = '';
  for (let i = 0; i < length; i++) s += NAME_ALPHABET[Math.floor(Math.random() * NAME_ALPHABET.length)];
  return s;
}

/** JSON with object keys sorted: equal for equal values whatever their key order. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    if (v instanceof Date) return JSON.stringify(v);
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
