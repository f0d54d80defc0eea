import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultedCluster } from '../../api/v1/rule-cases.testkit.ts';
import { buildInstancePvcs, buildPvc, InvalidStorageSizeError, storageToExpand } from './pvcs.ts';

const opts = { operatorVersion: '1.30.0' };
const meta = { uid: 'u1' };

describe('PVC specs', () => {
  it('builds the PGDATA PVC from storage.size', () => {
    const pvc = buildPvc(defaultedCluster({ storage: { size: '1Gi' } }, meta), { serial: 1, role: 'PG_DATA' }, opts);
    assert.equal(pvc.metadata.name, 'cluster-example-1');
    assert.equal(pvc.metadata.namespace, 'default');
    assert.deepEqual(pvc.metadata.labels, {
      'cnpg.io/instanceName': 'cluster-example-1',
      'cnpg.io/pvcRole': 'PG_DATA',
      'app.kubernetes.io/managed-by': 'cloudnative-pg',
      'cnpg.io/cluster': 'cluster-example',
    });
    assert.deepEqual(pvc.metadata.annotations, {
      'cnpg.io/nodeSerial': '1',
      'cnpg.io/pvcStatus': 'initializing',
      'cnpg.io/operatorVersion': '1.30.0',
    });
    assert.equal(pvc.metadata.ownerReferences?.[0]?.kind, 'Cluster');
    assert.deepEqual(pvc.spec, { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } });
  });

  it('starts from pvcTemplate, then storageClass and size win', () => {
    const cluster = defaultedCluster(
      {
        storage: {
          size: '2048Mi',
          storageClass: 'fast',
          pvcTemplate: {
            accessModes: ['ReadWriteOncePod'],
            storageClassName: 'slow',
            volumeMode: 'Filesystem',
            resources: { requests: { storage: '1Gi' }, limits: { storage: '5Gi' } },
          },
        },
      },
      meta,
    );
    const pvc = buildPvc(cluster, { serial: 2, role: 'PG_DATA', status: 'ready' }, opts);
    assert.deepEqual(pvc.spec, {
      accessModes: ['ReadWriteOncePod'],
      storageClassName: 'fast',
      volumeMode: 'Filesystem',
      resources: { requests: { storage: '2Gi' }, limits: { storage: '5Gi' } },
    });
    assert.equal(pvc.metadata.annotations?.['cnpg.io/pvcStatus'], 'ready');
    assert.equal(cluster.spec.storage?.pvcTemplate?.storageClassName, 'slow', 'the template is not modified');
  });

  it('takes the size from the template when storage.size is not set', () => {
    const cluster = defaultedCluster(
      { storage: { pvcTemplate: { resources: { requests: { storage: '3Gi' } } } } },
      meta,
    );
    assert.equal(buildPvc(cluster, { serial: 1, role: 'PG_DATA' }, opts).spec?.resources?.requests?.storage, '3Gi');
  });

  it('rejects a PVC without a usable size', () => {
    for (const storage of [{}, { size: '0' }, { size: 'lots' }]) {
      assert.throws(
        () => buildPvc(defaultedCluster({ storage }, meta), { serial: 1, role: 'PG_DATA' }, opts),
        (e: unknown) => e instanceof InvalidStorageSizeError && e.message === 'invalid storage size',
      );
    }
  });

  it('builds WAL and tablespace PVCs, ready from the start, with a data source when restoring', () => {
    const cluster = defaultedCluster(
      {
        walStorage: { size: '512Mi' },
        tablespaces: [{ name: 'my_idx', storage: { size: '1Gi' } }],
      },
      meta,
    );
    const pvcs = buildInstancePvcs(cluster, 4, opts);
    assert.deepEqual(
      pvcs.map((p) => [
        p.metadata.name,
        p.metadata.labels?.['cnpg.io/pvcRole'],
        p.metadata.annotations?.['cnpg.io/pvcStatus'],
      ]),
      [
        ['cluster-example-4', 'PG_DATA', 'initializing'],
        ['cluster-example-4-wal', 'PG_WAL', 'ready'],
        ['cluster-example-4-tbs-my-idx', 'PG_TABLESPACE', 'ready'],
      ],
    );
    assert.equal(pvcs[2]?.metadata.labels?.['cnpg.io/tablespaceName'], 'my_idx');
    const source = { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'snap' };
    assert.deepEqual(buildPvc(cluster, { serial: 5, role: 'PG_WAL', source }, opts).spec?.dataSource, source);
    assert.throws(
      () => buildPvc(cluster, { serial: 1, role: 'PG_TABLESPACE', tablespace: 'nope' }, opts),
      /doesn't exist/,
    );
    assert.throws(() => buildPvc(defaultedCluster({}, meta), { serial: 1, role: 'PG_WAL' }, opts), /no walStorage/);
  });

  it('expands volumes that ask for less than configured, never shrinks them', () => {
    const desired = buildPvc(
      defaultedCluster({ storage: { size: '2Gi' } }, meta),
      { serial: 1, role: 'PG_DATA' },
      opts,
    );
    const existing = (storage: string) => ({ spec: { resources: { requests: { storage } } } });
    assert.equal(storageToExpand(existing('1Gi'), desired), '2Gi');
    assert.equal(storageToExpand(existing('2048Mi'), desired), undefined);
    assert.equal(storageToExpand(existing('3Gi'), desired), undefined);
  });
});
