// Upstream's sample Clusters, unchanged but for one instance each (the scenario is the bootstrap,
// not replication), side by side in their own namespaces: each reaches a healthy state, or fails at
// once with a message naming what is not supported (none may hang).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Cluster } from '../../src/api/v1/cluster-types.ts';
import {
  applyAll,
  ensureNamespace,
  HEALTHY,
  type OperatorEnv,
  psql,
  readCluster,
  sampleObjects,
  serviceIP,
  startOperatorEnv,
  waitFor,
} from './support.ts';

interface Case {
  file: string;
  /** Healthy, then this check on the data; or a failure phase whose reason must match. */
  healthy?: (env: OperatorEnv, ns: string, cluster: Cluster) => Promise<void>;
  fails?: { phase: string; reason: RegExp };
}

const CANNOT_CREATE = 'Unable to create required cluster objects';

const CASES: Case[] = [
  {
    file: 'cluster-example-custom.yaml',
    healthy: async (env, ns, c) => {
      assert.equal(await appSql(env, ns, c, "SELECT current_setting('max_worker_processes')"), '60');
    },
  },
  {
    file: 'cluster-example-initdb.yaml',
    healthy: async (env, ns, c) => {
      // postInitApplicationSQL runs as the superuser (as upstream): the owner sees the table, not its rows.
      const table = "SELECT count(*) FROM pg_tables WHERE tablename = 'application_numbers'";
      assert.equal(await appSql(env, ns, c, table), '1');
      assert.equal(await appSql(env, ns, c, "SELECT count(*) FROM pg_extension WHERE extname = 'intarray'"), '1');
    },
  },
  {
    file: 'cluster-advanced-initdb.yaml',
    healthy: async (env, ns, c) => {
      // Owner appuser of appdb, en_AU.UTF-8 collation (scripts/setup.sh installs the locales), checksums on.
      const db = "SELECT current_user || ' ' || datcollate FROM pg_database WHERE datname = current_database()";
      assert.equal(await appSql(env, ns, c, db), 'appuser en_AU.UTF-8');
      assert.equal(await appSql(env, ns, c, "SELECT current_setting('data_checksums')"), 'on');
      assert.equal(
        await appSql(env, ns, c, "SELECT count(*) FROM pg_tables WHERE tablename = 'application_numbers'"),
        '1',
      );
    },
  },
  { file: 'cluster-example-wal-storage.yaml', fails: { phase: CANNOT_CREATE, reason: /^spec\.walStorage: / } },
  {
    file: 'cluster-example-secret.yaml',
    healthy: async (env, ns, c) => {
      // The user's own secret (app/password) is what the owner logs in with.
      const rw = await serviceIP(env, ns, `${c.metadata?.name}-rw`);
      assert.equal(await psql(`host=${rw} user=app dbname=app`, 'SELECT current_user', 'password'), 'app');
    },
  },
  { file: 'cluster-example-pg-hba.yaml', healthy: async () => {} },
  { file: 'cluster-example-full.yaml', fails: { phase: CANNOT_CREATE, reason: /spec\.backup\.barmanObjectStore: / } },
];

async function appSql(env: OperatorEnv, ns: string, c: Cluster, sql: string): Promise<string> {
  const name = c.metadata?.name ?? '';
  const s = await env.core.readNamespacedSecret({ name: `${name}-app`, namespace: ns });
  const get = (k: string) => Buffer.from(s.data?.[k] ?? '', 'base64').toString();
  const rw = await serviceIP(env, ns, `${name}-rw`);
  return psql(`host=${rw} user=${get('username')} dbname=${get('dbname')}`, sql, get('password'));
}

function oneInstance(objects: KubernetesObject[]): KubernetesObject[] {
  return objects.map((o) =>
    o.kind === 'Cluster' ? ({ ...o, spec: { ...(o as Cluster).spec, instances: 1 } } as KubernetesObject) : o,
  );
}

describe('sample clusters', { timeout: 240_000 }, () => {
  let env: OperatorEnv;
  before(async () => {
    env = await startOperatorEnv();
    await Promise.all(
      CASES.map(async (c, i) => {
        const ns = `sample-${i}`;
        await ensureNamespace(env, ns);
        await applyAll(env, oneInstance(sampleObjects(c.file, ns)));
      }),
    );
  });
  after(
    async () => {
      await env?.stop();
    },
    { timeout: 120_000 },
  );

  CASES.forEach((c, i) => {
    const ns = `sample-${i}`;
    it(`${c.file} ${c.healthy ? 'reaches a healthy state' : `fails with ${c.fails?.reason}`}`, async () => {
      const name = sampleObjects(c.file).find((o) => o.kind === 'Cluster')?.metadata?.name ?? '';
      const cluster = await waitFor(
        `${c.file} to settle`,
        async () => {
          const cl = await readCluster(env, ns, name);
          const phase = cl.status?.phase;
          if (c.healthy) return phase === HEALTHY ? cl : undefined;
          const f = c.fails;
          return f !== undefined && phase === f.phase && f.reason.test(cl.status?.phaseReason ?? '') ? cl : undefined;
        },
        180_000,
      );
      if (c.healthy) await c.healthy(env, ns, cluster);
      else {
        const pods = await env.core.listNamespacedPod({ namespace: ns, labelSelector: 'cnpg.io/podRole=instance' });
        assert.equal(pods.items.length, 0, 'no instance pod runs');
      }
    });
  });
});
