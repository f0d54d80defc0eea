import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { BarmanObjectStoreConfiguration } from '../api/v1/barman-types.ts';
import { openClusterStore } from './cluster-store.ts';

const root = mkdtempSync('/tmp/cnpg-cluster-store-test-');
after(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, 'minio'));
writeFileSync(join(root, 'minio', 'ID'), 'key-id\n');
writeFileSync(join(root, 'minio', 'SECRET'), 'secret\n');

const config: BarmanObjectStoreConfiguration = {
  destinationPath: 's3://bucket/some/path/',
  endpointURL: 'http://127.0.0.1:9000',
  s3Credentials: {
    accessKeyId: { name: 'minio', key: 'ID' },
    secretAccessKey: { name: 'minio', key: 'SECRET' },
  },
};

test("the store and layout come from the configuration and the mounted Secrets; serverName defaults to the Cluster's name", () => {
  const { store, layout, serverName } = openClusterStore(config, { clusterName: 'pg', secretsRoot: root });
  try {
    assert.equal(store.url, 's3://bucket');
    assert.equal(serverName, 'pg');
    assert.equal(layout.basePrefix, 'some/path/pg/base/');
    assert.equal(store.partConcurrency, 2, "barman-cloud's default of 2 jobs");
  } finally {
    store.close();
  }
  const named = openClusterStore({ ...config, serverName: 'old' }, { clusterName: 'pg', secretsRoot: root });
  named.store.close();
  assert.equal(named.layout.walsPrefix, 'some/path/old/wals/');
});

test('partConcurrency (a base backup passes data.jobs) sets the parts each upload sends at once', () => {
  const { store } = openClusterStore(config, { clusterName: 'pg', secretsRoot: root, partConcurrency: 5 });
  store.close();
  assert.equal(store.partConcurrency, 5);
});

test('errors name the field and the Secret', () => {
  assert.throws(
    () => openClusterStore(config, { clusterName: 'pg' }),
    /spec\.backup\.barmanObjectStore\.s3Credentials\.accessKeyId refers to Secret "minio", but --secrets-root is not set/,
  );
  const missingKey = {
    ...config,
    s3Credentials: { ...config.s3Credentials, secretAccessKey: { name: 'minio', key: 'NOPE' } },
  };
  assert.throws(
    () => openClusterStore(missingKey, { clusterName: 'pg', secretsRoot: root }),
    /cannot read spec\.backup\.barmanObjectStore\.s3Credentials\.secretAccessKey \(Secret "minio", key "NOPE"\).*no such file/,
  );
  assert.throws(
    () => openClusterStore({ ...config, destinationPath: 'bucket/path' }, { clusterName: 'pg', secretsRoot: root }),
    (err: Error) =>
      err.name === 'InstanceError' && /an S3 destination is s3:\/\/<bucket>\[\/<path>\]/.test(err.message),
  );
});
