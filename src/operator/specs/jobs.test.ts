import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultedCluster } from '../../api/v1/rule-cases.testkit.ts';
import { bootstrapJob } from './jobs.ts';

const meta = { uid: 'u1' };

describe('bootstrap jobs', () => {
  it('initdb: upstream name, labels, command, app secret and APP_USERNAME', () => {
    const cluster = defaultedCluster({ imageName: 'ghcr.io/cloudnative-pg/postgresql:16.4' }, meta);
    const job = bootstrapJob(cluster, 1, 'initdb', {});
    assert.equal(job.metadata?.name, 'cluster-example-1-initdb');
    assert.equal(job.metadata?.ownerReferences?.[0]?.kind, 'Cluster');
    const labels = job.spec?.template.metadata?.labels;
    assert.equal(labels?.['cnpg.io/jobRole'], 'initdb');
    assert.equal(labels?.['cnpg.io/instanceName'], 'cluster-example-1');
    assert.equal(labels?.['app.kubernetes.io/version'], '16');
    const spec = job.spec?.template.spec;
    assert.equal(spec?.restartPolicy, 'Never');
    assert.equal(spec?.hostname, 'cluster-example-1-initdb');
    const c = spec?.containers[0];
    assert.equal(c?.name, 'initdb');
    assert.deepEqual(c?.command, ['/controller/manager', 'instance', 'init', '--app-secret-dir', '/etc/app-secret']);
    assert.equal(c?.env?.find((e) => e.name === 'POD_NAME')?.value, 'cluster-example-1-initdb');
    assert.deepEqual(c?.env?.find((e) => e.name === 'APP_USERNAME')?.valueFrom?.secretKeyRef, {
      name: 'cluster-example-app',
      key: 'username',
      optional: false,
    });
    assert.equal(spec?.volumes?.find((v) => v.name === 'app-secret')?.secret?.secretName, 'cluster-example-app');
    assert.equal(spec?.volumes?.[0]?.persistentVolumeClaim?.claimName, 'cluster-example-1');
  });

  it('initdb: mounts the post-init SQL objects under the roots the manager reads', () => {
    const cluster = defaultedCluster(
      {
        enableSuperuserAccess: true,
        bootstrap: {
          initdb: {
            database: 'app',
            owner: 'app',
            postInitSQLRefs: {
              secretRefs: [{ name: 'sql-s', key: 'a.sql' }],
              configMapRefs: [{ name: 'sql-c', key: 'b' }],
            },
            postInitApplicationSQLRefs: { secretRefs: [{ name: 'sql-s', key: 'c.sql' }] },
          },
        },
      },
      meta,
    );
    const job = bootstrapJob(cluster, 1, 'initdb', {});
    const c = job.spec?.template.spec?.containers[0];
    assert.deepEqual(c?.command?.slice(3), [
      '--app-secret-dir',
      '/etc/app-secret',
      '--superuser-secret-dir',
      '/etc/superuser-secret',
      '--secrets-root',
      '/etc/secrets',
      '--configmaps-root',
      '/etc/configmaps',
    ]);
    const mounts = Object.fromEntries((c?.volumeMounts ?? []).map((m) => [m.name, m.mountPath]));
    assert.equal(mounts['sql-secret-0'], '/etc/secrets/sql-s');
    assert.equal(mounts['sql-configmap-0'], '/etc/configmaps/sql-c');
    assert.equal(mounts['sql-secret-1'], undefined);
  });

  it('join: clones through the -rw service or the host given', () => {
    const cluster = defaultedCluster({ walStorage: { size: '1Gi' } }, meta);
    const job = bootstrapJob(cluster, 3, 'join', { primaryInstance: 'cluster-example-1' });
    assert.equal(job.metadata?.name, 'cluster-example-3-join');
    const c = job.spec?.template.spec?.containers[0];
    assert.equal(c?.name, 'join');
    assert.deepEqual(c?.command, ['/controller/manager', 'instance', 'join']);
    assert.equal(
      c?.env?.find((e) => e.name === 'APP_USERNAME'),
      undefined,
    );
    assert.ok(job.spec?.template.spec?.volumes?.some((v) => v.name === 'pg-wal'));
    const viaIp = bootstrapJob(cluster, 3, 'join', { primaryHost: '127.1.0.9' });
    assert.deepEqual(viaIp.spec?.template.spec?.containers[0]?.command?.slice(3), ['--primary-host', '127.1.0.9']);
  });
});
