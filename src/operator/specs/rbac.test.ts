import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultedCluster } from '../../api/v1/rule-cases.testkit.ts';
import {
  buildRole,
  buildRoleBinding,
  buildServiceAccount,
  involvedConfigMapNames,
  involvedSecretNames,
} from './rbac.ts';

const opts = { operatorVersion: '1.30.0' };
const meta = { uid: 'u1' };

describe('instance RBAC', () => {
  it('grants only the cluster own secrets and config maps, sorted', () => {
    const cluster = defaultedCluster(
      {
        monitoring: {
          customQueriesSecret: [{ name: 'q-secret', key: 'k' }],
          customQueriesConfigMap: [{ name: 'q-cm', key: 'k' }],
        },
        externalClusters: [{ name: 'origin', password: { name: 'origin-pass', key: 'password' } }],
        managed: {
          roles: [
            { name: 'r1', passwordSecret: { name: 'r1-pass' } },
            { name: 'r2', passwordSecret: { name: 'r2-pass' }, disablePassword: true },
          ],
        },
        backup: {
          barmanObjectStore: {
            destinationPath: 's3://b',
            s3Credentials: { accessKeyId: { name: 'aws', key: 'id' }, secretAccessKey: { name: 'aws', key: 'key' } },
            endpointCA: { name: 'ca-bundle', key: 'ca.crt' },
          },
        },
      },
      meta,
    );
    assert.deepEqual(involvedSecretNames(cluster), [
      'aws',
      'ca-bundle',
      'cluster-example-app',
      'cluster-example-ca',
      'cluster-example-replication',
      'cluster-example-server',
      'cluster-example-superuser',
      'origin-pass',
      'q-secret',
      'r1-pass',
    ]);
    assert.deepEqual(involvedConfigMapNames(cluster), ['cluster-example', 'q-cm']);
  });

  it('builds the Role with upstream rules', () => {
    const role = buildRole(defaultedCluster({}, meta), opts);
    assert.equal(role.metadata.name, 'cluster-example');
    assert.equal(role.metadata.labels?.['app.kubernetes.io/managed-by'], 'cloudnative-pg');
    const rules = role.rules ?? [];
    assert.equal(rules.length, 16);
    // The primary lease, by name only: an instance cannot touch any other lease.
    assert.deepEqual(rules[15], {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      verbs: ['get', 'update'],
      resourceNames: ['cluster-example'],
    });
    assert.deepEqual(rules[3], {
      apiGroups: ['postgresql.cnpg.io'],
      resources: ['clusters/status'],
      verbs: ['get', 'patch', 'update', 'watch'],
      resourceNames: ['cluster-example'],
    });
    assert.deepEqual(rules[4], {
      apiGroups: ['postgresql.cnpg.io'],
      resources: ['backups'],
      verbs: ['list', 'get', 'delete'],
    });
    assert.deepEqual(rules[6], { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] });
  });

  it('lets the instances read their FailoverQuorum and write its status, by name only', () => {
    const rules = buildRole(defaultedCluster({}, meta), opts).rules ?? [];
    const of = (resource: string) => rules.filter((r) => r.resources?.includes(resource));
    assert.deepEqual(of('failoverquorums'), [
      {
        apiGroups: ['postgresql.cnpg.io'],
        resources: ['failoverquorums'],
        verbs: ['get', 'list', 'watch'],
        resourceNames: ['cluster-example'],
      },
    ]);
    assert.deepEqual(of('failoverquorums/status'), [
      {
        apiGroups: ['postgresql.cnpg.io'],
        resources: ['failoverquorums/status'],
        verbs: ['get', 'patch', 'update', 'watch'],
        resourceNames: ['cluster-example'],
      },
    ]);
  });

  it('binds the Role to the pods service account', () => {
    const binding = buildRoleBinding(defaultedCluster({ serviceAccountName: 'shared' }, meta), opts);
    assert.deepEqual(binding.subjects, [
      { kind: 'ServiceAccount', apiGroup: '', name: 'shared', namespace: 'default' },
    ]);
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cluster-example' });
  });

  it('creates the service account unless the user names one', () => {
    assert.equal(buildServiceAccount(defaultedCluster({ serviceAccountName: 'shared' }, meta), opts), undefined);
    const sa = buildServiceAccount(
      defaultedCluster(
        {
          imagePullSecrets: [{ name: 'regcred' }],
          serviceAccountTemplate: {
            metadata: { labels: { l: '1' }, annotations: { 'eks.amazonaws.com/role-arn': 'arn' } },
          },
        },
        meta,
      ),
      opts,
    );
    assert.equal(sa?.metadata.name, 'cluster-example');
    assert.deepEqual(sa?.imagePullSecrets, [{ name: 'regcred' }]);
    assert.equal(sa?.metadata.labels?.l, '1');
    assert.equal(sa?.metadata.annotations?.['eks.amazonaws.com/role-arn'], 'arn');
    assert.equal(sa?.metadata.annotations?.['cnpg.io/managedSecrets'], '["regcred"]');
    assert.equal(sa?.metadata.ownerReferences?.length, 1);
    const patch = buildServiceAccount(defaultedCluster({}, meta), { ...opts, owned: false });
    assert.equal(patch?.metadata.ownerReferences, undefined);
    assert.equal(patch?.imagePullSecrets, undefined);
  });
});
