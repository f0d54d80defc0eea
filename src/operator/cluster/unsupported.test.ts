// The unsupported-feature table: each line refuses, by name, a Cluster that the API admits (so the
// refusal is the operator's, not a validation error), and leaves alone the values that work.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admit } from '../../api/v1/admission.ts';
import type { Cluster, ClusterSpec } from '../../api/v1/cluster-types.ts';
import { kindDefinition } from '../../api/v1/kinds.ts';
import { UNSUPPORTED_RULES, unsupportedFeatures, unsupportedMessage } from './unsupported.ts';

const CLUSTER_KIND = kindDefinition('Cluster');
const ORIGIN = { externalClusters: [{ name: 'origin', connectionParameters: { host: 'origin-rw' } }] };

/** The Cluster as the API server stores it (defaulted); fails the test when it is not admitted. */
function admitted(spec: Partial<ClusterSpec>, annotations?: Record<string, string>): Cluster {
  assert.ok(CLUSTER_KIND);
  const raw = {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: 'c', namespace: 'default', ...(annotations ? { annotations } : {}) },
    spec: { instances: 1, storage: { size: '1Gi' }, ...spec },
  };
  const result = admit(CLUSTER_KIND, raw);
  assert.deepEqual(
    result.errors.map((e) => `${e.field}: ${e.body()}`),
    [],
    'the API admits it',
  );
  return result.object as unknown as Cluster;
}

const fieldsOf = (c: Cluster) => unsupportedFeatures(c).map((f) => f.field);

// For each line of the table: a Cluster that asks for it, and (when only a value is refused) one
// with the value that works.
const CASES: { field: string; asks: () => Cluster; refused?: string[]; works?: () => Cluster }[] = [
  {
    field: 'metadata.annotations[cnpg.io/hibernation]',
    asks: () => admitted({}, { 'cnpg.io/hibernation': 'on' }),
    works: () => admitted({}, { 'cnpg.io/hibernation': 'off' }),
  },
  {
    field: 'metadata.annotations[cnpg.io/reconcilePodSpec]',
    asks: () => admitted({}, { 'cnpg.io/reconcilePodSpec': 'disabled' }),
    works: () => admitted({}, { 'cnpg.io/reconcilePodSpec': 'enabled' }),
  },
  {
    field: 'spec.imageCatalogRef',
    asks: () =>
      admitted({ imageCatalogRef: { apiGroup: 'postgresql.cnpg.io', kind: 'ImageCatalog', name: 'pg', major: 16 } }),
  },
  {
    field: 'spec.postgresql.ldap',
    asks: () => admitted({ postgresql: { ldap: { server: 'ldap.example.com', bindAsAuth: { prefix: 'uid=' } } } }),
  },
  {
    field: 'spec.postgresql.extensions',
    asks: () =>
      admitted({
        imageName: 'ghcr.io/cloudnative-pg/postgresql:18-minimal-trixie',
        postgresql: { extensions: [{ name: 'postgis', image: { reference: 'ghcr.io/example/postgis:3' } }] },
      }),
  },
  {
    field: 'spec.replicationSlots.highAvailability.synchronizeLogicalDecoding',
    asks: () =>
      admitted({
        imageName: 'ghcr.io/cloudnative-pg/postgresql:17',
        postgresql: { parameters: { sync_replication_slots: 'on', hot_standby_feedback: 'on' } },
        replicationSlots: { highAvailability: { enabled: true, synchronizeLogicalDecoding: true } },
      }),
    works: () => admitted({ replicationSlots: { highAvailability: { synchronizeLogicalDecoding: false } } }),
  },
  { field: 'spec.bootstrap.recovery', asks: () => admitted({ bootstrap: { recovery: { backup: { name: 'b' } } } }) },
  {
    field: 'spec.bootstrap.pg_basebackup',
    asks: () => admitted({ ...ORIGIN, bootstrap: { pg_basebackup: { source: 'origin' } } }),
  },
  {
    field: 'spec.bootstrap.initdb.import',
    asks: () =>
      admitted({
        ...ORIGIN,
        bootstrap: {
          initdb: { import: { type: 'microservice', databases: ['app'], source: { externalCluster: 'origin' } } },
        },
      }),
  },
  {
    field: 'spec.replica',
    // A replica cluster bootstraps from its source: that is refused too.
    asks: () =>
      admitted({
        ...ORIGIN,
        bootstrap: { pg_basebackup: { source: 'origin' } },
        replica: { enabled: true, source: 'origin' },
      }),
    refused: ['spec.bootstrap.pg_basebackup', 'spec.replica'],
  },
  {
    field: 'spec.storage.resizeInUseVolumes',
    asks: () => admitted({ storage: { size: '1Gi', resizeInUseVolumes: false } }),
    works: () => admitted({ storage: { size: '1Gi', resizeInUseVolumes: true } }),
  },
  { field: 'spec.walStorage', asks: () => admitted({ walStorage: { size: '1Gi' } }) },
  { field: 'spec.backup.volumeSnapshot', asks: () => admitted({ backup: { volumeSnapshot: { className: 'csi' } } }) },
  {
    field: 'spec.backup.barmanObjectStore',
    asks: () =>
      admitted({
        backup: { barmanObjectStore: { destinationPath: 's3://b/', s3Credentials: { inheritFromIAMRole: true } } },
      }),
  },
  {
    field: 'spec.nodeMaintenanceWindow.reusePVC',
    asks: () => admitted({ nodeMaintenanceWindow: { inProgress: false, reusePVC: false } }),
    works: () => admitted({ nodeMaintenanceWindow: { inProgress: true, reusePVC: true } }),
  },
  { field: 'spec.managed.roles', asks: () => admitted({ managed: { roles: [{ name: 'dante' }] } }) },
  { field: 'spec.tablespaces', asks: () => admitted({ tablespaces: [{ name: 'tbs', storage: { size: '1Gi' } }] }) },
  {
    field: 'spec.plugins',
    asks: () => admitted({ plugins: [{ name: 'barman-cloud.cloudnative-pg.io', isWALArchiver: true }] }),
    works: () => admitted({ plugins: [{ name: 'barman-cloud.cloudnative-pg.io', enabled: false }] }),
  },
];

describe('unsupportedFeatures', () => {
  it('has a case for every line of the table, in its order', () => {
    assert.deepEqual(
      CASES.map((c) => c.field),
      UNSUPPORTED_RULES.map((r) => r.field),
    );
  });

  it('refuses nothing in a plain Cluster with its defaults', () => {
    assert.deepEqual(fieldsOf(admitted({})), []);
  });

  for (const c of CASES) {
    it(`refuses ${c.field} by name`, () => {
      assert.deepEqual(fieldsOf(c.asks()), c.refused ?? [c.field]);
    });
    const works = c.works;
    if (works !== undefined) {
      it(`accepts the values of ${c.field} that work`, () => {
        assert.deepEqual(fieldsOf(works()), []);
      });
    }
  }

  it('starts the detail of a refused value with that value', () => {
    for (const rule of UNSUPPORTED_RULES.filter((r) => r.value !== undefined)) {
      assert.ok(rule.detail.startsWith(`${rule.value} `), rule.field);
    }
  });

  it('names every field in one line, in the order of the table', () => {
    const cluster = admitted(
      { plugins: [{ name: 'p' }], storage: { size: '1Gi', resizeInUseVolumes: false } },
      {
        'cnpg.io/hibernation': 'on',
      },
    );
    assert.equal(
      unsupportedMessage(unsupportedFeatures(cluster)),
      'metadata.annotations[cnpg.io/hibernation]: on (hibernation: every instance stopped, the volumes kept) ' +
        'is not supported yet; spec.storage.resizeInUseVolumes: false (resizing volumes offline) is not ' +
        'supported yet: volumes are expanded while in use; spec.plugins: CNPG-I plugins are not supported yet ' +
        '(a WAL archiver plugin would fail every archive_command)',
    );
  });
});
