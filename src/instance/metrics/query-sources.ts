// Which monitoring queries an instance runs: the default set shipped with the manager (unless
// spec.monitoring.disableDefaultQueries), then the user's, from `customQueriesConfigMap` and
// `customQueriesSecret` in that order, a later query replacing an earlier one of the same name
// (as upstream). In a pod they are read through the API server (the instance Role grants exactly
// the referenced objects); with --cluster-file, from the mounted --configmaps-root/--secrets-root.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CoreV1Api } from '@kubernetes/client-node';
import type { Cluster } from '../../api/v1/cluster-types.ts';
import type { InstanceOptions } from '../options.ts';
import { readMountedKey } from '../secrets.ts';
import { parseQueries, type UserQuery } from './query-file.ts';
import type { QueryError } from './query-runner.ts';

/** How often the referenced ConfigMaps and Secrets are read again (they may change under the same name). */
const SOURCES_REFRESH_MS = 30_000;

let defaults: UserQuery[] | undefined;

/** The default queries (default-queries.yaml); a mistake in that file is ours, so it throws. */
export function defaultQueries(): UserQuery[] {
  if (defaults === undefined) {
    const parsed = parseQueries(readFileSync(new URL('./default-queries.yaml', import.meta.url), 'utf8'));
    if (parsed.errors.length > 0) throw new Error(`default monitoring queries: ${parsed.errors.join('; ')}`);
    defaults = parsed.queries;
  }
  return defaults;
}

interface LoadedQueries {
  queries: UserQuery[];
  errors: QueryError[];
}

interface Reference {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  key: string;
}

function references(cluster: Cluster): Reference[] {
  const m = cluster.spec.monitoring;
  return [
    ...(m?.customQueriesConfigMap ?? []).map((r) => ({ kind: 'ConfigMap' as const, name: r.name, key: r.key })),
    ...(m?.customQueriesSecret ?? []).map((r) => ({ kind: 'Secret' as const, name: r.name, key: r.key })),
  ];
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';

export class QuerySources {
  readonly #options: InstanceOptions;
  readonly #api: CoreV1Api | undefined;
  #loaded: LoadedQueries | undefined;
  #loadedFor = '';
  #loadedAt = 0;

  /** `api` undefined: read the mounted files (a --cluster-file instance). */
  constructor(options: InstanceOptions, api: CoreV1Api | undefined) {
    this.#options = options;
    this.#api = api;
  }

  async #read(ref: Reference): Promise<string> {
    const what = `${ref.kind} ${ref.name}`;
    if (this.#api === undefined) {
      const root = ref.kind === 'ConfigMap' ? this.#options.configMapsRoot : this.#options.secretsRoot;
      const flag = ref.kind === 'ConfigMap' ? '--configmaps-root' : '--secrets-root';
      if (root === undefined) throw new Error(`${what} is referenced but ${flag} is not set`);
      return readMountedKey(join(root, ref.name), ref.key, `the monitoring queries of ${what}`);
    }
    const namespace = this.#options.namespace;
    let data: Record<string, string> | undefined;
    try {
      const object =
        ref.kind === 'ConfigMap'
          ? await this.#api.readNamespacedConfigMap({ name: ref.name, namespace })
          : await this.#api.readNamespacedSecret({ name: ref.name, namespace });
      data = object.data;
    } catch (err) {
      const code = (err as { code?: number }).code;
      throw new Error(`cannot read ${what}${code ? ` (HTTP ${code})` : ''}: ${errorText(err)}`);
    }
    const value = data?.[ref.key];
    if (value === undefined) throw new Error(`${what} has no key ${ref.key}`);
    return ref.kind === 'Secret' ? Buffer.from(value, 'base64').toString('utf8') : value;
  }

  /**
   * The queries for `cluster`: read again when its monitoring stanza changed or SOURCES_REFRESH_MS
   * passed. `errors` (unreadable objects, invalid queries) come with each fresh read only.
   */
  async load(cluster: Cluster, now = Date.now()): Promise<LoadedQueries> {
    const stanza = JSON.stringify(cluster.spec.monitoring ?? {});
    if (this.#loaded !== undefined && stanza === this.#loadedFor && now - this.#loadedAt < SOURCES_REFRESH_MS) {
      return { queries: this.#loaded.queries, errors: [] };
    }
    const byKey = new Map<string, UserQuery>();
    const errors: QueryError[] = [];
    if (cluster.spec.monitoring?.disableDefaultQueries !== true) {
      for (const q of defaultQueries()) byKey.set(q.key, q);
    }
    for (const ref of references(cluster)) {
      const collector = `${ref.kind}/${ref.name}/${ref.key}`;
      try {
        const parsed = parseQueries(await this.#read(ref));
        for (const q of parsed.queries) byKey.set(q.key, q);
        for (const message of parsed.errors) errors.push({ collector, message });
      } catch (err) {
        errors.push({ collector, message: errorText(err) });
      }
    }
    this.#loaded = { queries: [...byKey.values()], errors };
    this.#loadedFor = stanza;
    this.#loadedAt = now;
    return this.#loaded;
  }
}
