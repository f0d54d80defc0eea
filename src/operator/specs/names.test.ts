import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultedCluster } from '../../api/v1/rule-cases.testkit.ts';
import {
  applicationDatabaseName,
  applicationDatabaseOwner,
  applicationSecretName,
  clientCASecretName,
  expectedInstancePvcNames,
  instanceName,
  jobName,
  ldapSecretName,
  primaryPdbName,
  pvcName,
  replicationSecretName,
  serverCASecretName,
  serverTLSSecretName,
  serviceAccountName,
  serviceReadName,
  serviceReadOnlyName,
  serviceReadWriteName,
  superuserSecretName,
  tablespaceK8sName,
} from './names.ts';

describe('generated names', () => {
  it('names instances, PVCs, services, PDBs and jobs as upstream', () => {
    assert.equal(instanceName('cluster-example', 3), 'cluster-example-3');
    assert.equal(pvcName('cluster-example-3', 'PG_DATA'), 'cluster-example-3');
    assert.equal(pvcName('cluster-example-3', 'PG_WAL'), 'cluster-example-3-wal');
    assert.equal(pvcName('cluster-example-3', 'PG_TABLESPACE', 'my_tbs'), 'cluster-example-3-tbs-my-tbs');
    assert.throws(() => pvcName('c-1', 'PG_TABLESPACE'), /needs a tablespace name/);
    assert.equal(serviceReadWriteName('c'), 'c-rw');
    assert.equal(serviceReadOnlyName('c'), 'c-ro');
    assert.equal(serviceReadName('c'), 'c-r');
    assert.equal(primaryPdbName('c'), 'c-primary');
    assert.equal(jobName('c-1', 'initdb'), 'c-1-initdb');
  });

  const tablespaces: [string, string][] = [
    ['tbs1', 'tbs1'],
    ['my_tablespace', 'my-tablespace'],
    ['_hidden', '1hidden'],
    ['Mixed$Case', 'mixed-case'],
  ];
  for (const [tbs, expected] of tablespaces) {
    it(`tablespace ${tbs} becomes ${expected} in object names`, () => assert.equal(tablespaceK8sName(tbs), expected));
  }

  it('lists the PVCs an instance needs', () => {
    const cluster = defaultedCluster({
      walStorage: { size: '1Gi' },
      tablespaces: [{ name: 'idx', storage: { size: '1Gi' } }],
    });
    assert.deepEqual(expectedInstancePvcNames(cluster, 'cluster-example-1'), [
      'cluster-example-1',
      'cluster-example-1-wal',
      'cluster-example-1-tbs-idx',
    ]);
    assert.deepEqual(expectedInstancePvcNames(defaultedCluster(), 'cluster-example-1'), ['cluster-example-1']);
  });

  it('derives secret names, honouring the ones the user sets', () => {
    const plain = defaultedCluster();
    assert.equal(superuserSecretName(plain), 'cluster-example-superuser');
    assert.equal(applicationSecretName(plain), 'cluster-example-app');
    assert.equal(applicationDatabaseName(plain), 'app');
    assert.equal(applicationDatabaseOwner(plain), 'app');
    assert.equal(serverCASecretName(plain), 'cluster-example-ca');
    assert.equal(clientCASecretName(plain), 'cluster-example-ca');
    assert.equal(serverTLSSecretName(plain), 'cluster-example-server');
    assert.equal(replicationSecretName(plain), 'cluster-example-replication');
    assert.equal(ldapSecretName(plain), '');

    const own = defaultedCluster({
      superuserSecret: { name: 'my-su' },
      bootstrap: { initdb: { database: 'db', owner: 'me', secret: { name: 'my-app' } } },
      certificates: {
        serverCASecret: 'sca',
        serverTLSSecret: 'stls',
        clientCASecret: 'cca',
        replicationTLSSecret: 'rep',
      },
    });
    assert.equal(superuserSecretName(own), 'my-su');
    assert.equal(applicationSecretName(own), 'my-app');
    assert.equal(applicationDatabaseName(own), 'db');
    assert.equal(applicationDatabaseOwner(own), 'me');
    assert.deepEqual(
      [serverCASecretName(own), serverTLSSecretName(own), clientCASecretName(own), replicationSecretName(own)],
      ['sca', 'stls', 'cca', 'rep'],
    );
  });

  it('uses the named service account, else one named after the cluster', () => {
    assert.equal(serviceAccountName(defaultedCluster()), 'cluster-example');
    assert.equal(serviceAccountName(defaultedCluster({ serviceAccountName: 'shared' })), 'shared');
  });
});
