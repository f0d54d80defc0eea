import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_MONITORING_CONFIGMAP_NAME,
  DEFAULT_MONITORING_KEY,
  DEFAULT_MONITORING_SECRET_NAME,
  defaultCluster,
  LIVENESS_PINGER_ANNOTATION,
  livenessPingerConfigFromAnnotations,
  setClusterDefaults,
} from './cluster-defaults.ts';
import { sampleDocuments } from '../../../test/support/samples.ts';
import { type Cluster, ClusterSchema, type ClusterSpec } from './cluster-types.ts';
import { DEFAULT_IMAGE_NAME } from './image-version.ts';
import { applySchemaDefaults, type SchemaNode } from './schema-validate.ts';

const cluster = (spec: Partial<ClusterSpec> = {}, annotations?: Record<string, string>): Cluster => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Cluster',
  metadata: { name: 'cluster-example', namespace: 'default', ...(annotations ? { annotations } : {}) },
  spec: { instances: 3, ...spec },
});

// Ported from upstream api/v1/cluster_defaults_test.go (38 specs), in the same order.

describe('cluster default configuration', () => {
  it('defaults to creating an application database', () => {
    const initdb = defaultCluster(cluster()).spec.bootstrap?.initdb;
    assert.equal(initdb?.database, 'app');
    assert.equal(initdb?.owner, 'app');
  });

  it('defaults the owner user with the database name', () => {
    const out = defaultCluster(cluster({ bootstrap: { initdb: { database: 'appdb' } } }));
    assert.equal(out.spec.bootstrap?.initdb?.owner, 'appdb');
  });

  it('defaults to create an application database if recovery is used', () => {
    const out = defaultCluster(cluster({ bootstrap: { recovery: {} } }));
    const recovery = out.spec.bootstrap?.recovery;
    assert.equal(recovery?.database, 'app');
    assert.equal(recovery?.owner, 'app');
    assert.equal(recovery?.secret, undefined);
    assert.equal(out.spec.bootstrap?.initdb, undefined);
  });

  it('defaults the owner user with the database name for recovery', () => {
    const out = defaultCluster(cluster({ bootstrap: { recovery: { database: 'appdb' } } }));
    assert.equal(out.spec.bootstrap?.recovery?.owner, 'appdb');
  });

  it('defaults to create an application database if pg_basebackup is used', () => {
    const out = defaultCluster(cluster({ bootstrap: { pg_basebackup: { source: 'origin' } } }));
    const pgBaseBackup = out.spec.bootstrap?.pg_basebackup;
    assert.equal(pgBaseBackup?.database, 'app');
    assert.equal(pgBaseBackup?.owner, 'app');
    assert.equal(pgBaseBackup?.secret, undefined);
    assert.equal(out.spec.bootstrap?.initdb, undefined);
  });

  it('defaults the owner user with the database name for pg_basebackup', () => {
    const out = defaultCluster(cluster({ bootstrap: { pg_basebackup: { source: 'origin', database: 'appdb' } } }));
    assert.equal(out.spec.bootstrap?.pg_basebackup?.owner, 'appdb');
  });

  it('defaults the PostgreSQL configuration with parameters from the operator', () => {
    const parameters = defaultCluster(cluster()).spec.postgresql?.parameters ?? {};
    assert.ok(Object.keys(parameters).length > 0);
    assert.equal(parameters.wal_level, 'logical');
  });

  it('defaults the anti-affinity', () => {
    const out = defaultCluster(cluster({ affinity: {} }));
    assert.equal(out.spec.affinity?.podAntiAffinityType, 'preferred');
    assert.equal(out.spec.affinity?.enablePodAntiAffinity, undefined);
  });

  it("should fill the image name if isn't already set", () => {
    assert.equal(defaultCluster(cluster()).spec.imageName, DEFAULT_IMAGE_NAME);
  });

  it("shouldn't set the image name if already present", () => {
    assert.equal(defaultCluster(cluster({ imageName: 'test:13' })).spec.imageName, 'test:13');
  });

  it('should setup the application database name', () => {
    const initdb = defaultCluster(cluster()).spec.bootstrap?.initdb;
    assert.equal(initdb?.database, 'app');
    assert.equal(initdb?.owner, 'app');
  });

  it('should set the owner name as the database name', () => {
    const initdb = defaultCluster(cluster({ bootstrap: { initdb: { database: 'test' } } })).spec.bootstrap?.initdb;
    assert.equal(initdb?.database, 'test');
    assert.equal(initdb?.owner, 'test');
  });

  it('should not overwrite application database and owner settings', () => {
    const initdb = defaultCluster(cluster({ bootstrap: { initdb: { database: 'testdb', owner: 'testuser' } } })).spec
      .bootstrap?.initdb;
    assert.equal(initdb?.database, 'testdb');
    assert.equal(initdb?.owner, 'testuser');
  });
});

describe('Default monitoring queries', () => {
  it('correctly set the default monitoring queries configmap and secret when none is already specified', () => {
    const out = defaultCluster(cluster(), {
      monitoringQueriesSecret: 'test-secret',
      monitoringQueriesConfigmap: 'test-configmap',
    });
    assert.deepEqual(out.spec.monitoring?.customQueriesConfigMap, [
      { name: DEFAULT_MONITORING_CONFIGMAP_NAME, key: DEFAULT_MONITORING_KEY },
    ]);
    assert.deepEqual(out.spec.monitoring?.customQueriesSecret, [
      { name: DEFAULT_MONITORING_SECRET_NAME, key: DEFAULT_MONITORING_KEY },
    ]);
  });

  const withQueries = (): Cluster =>
    cluster({
      monitoring: {
        customQueriesConfigMap: [{ name: DEFAULT_MONITORING_CONFIGMAP_NAME, key: 'test2' }],
        customQueriesSecret: [{ name: DEFAULT_MONITORING_CONFIGMAP_NAME, key: 'test3' }],
      },
    });

  it('correctly set the default monitoring queries configmap when other metrics are already specified', () => {
    const input = withQueries();
    const out = defaultCluster(input, { monitoringQueriesConfigmap: 'test-configmap' });
    assert.deepEqual(out.spec.monitoring?.customQueriesConfigMap, input.spec.monitoring?.customQueriesConfigMap);
    assert.deepEqual(out.spec.monitoring?.customQueriesSecret, input.spec.monitoring?.customQueriesSecret);
  });

  it('correctly set the default monitoring queries secret when other metrics are already specified', () => {
    const input = withQueries();
    const out = defaultCluster(input, { monitoringQueriesSecret: 'test-secret' });
    assert.deepEqual(out.spec.monitoring?.customQueriesSecret, input.spec.monitoring?.customQueriesSecret);
    assert.deepEqual(out.spec.monitoring?.customQueriesConfigMap, input.spec.monitoring?.customQueriesConfigMap);
  });
});

describe('setDefaultPlugins', () => {
  it('adds pre-defined plugins if not already present', () => {
    const out = defaultCluster(cluster({ plugins: [{ name: 'existing-plugin', enabled: true }] }), {
      includePlugins: 'predefined-plugin1,predefined-plugin2',
    });
    assert.deepEqual(out.spec.plugins, [
      { name: 'existing-plugin', enabled: true },
      { name: 'predefined-plugin1', enabled: true },
      { name: 'predefined-plugin2', enabled: true },
    ]);
  });

  it('does not add pre-defined plugins if already present', () => {
    const out = defaultCluster(cluster({ plugins: [{ name: 'predefined-plugin1', enabled: false }] }), {
      includePlugins: 'predefined-plugin1,predefined-plugin2',
    });
    assert.deepEqual(out.spec.plugins, [
      { name: 'predefined-plugin1', enabled: false },
      { name: 'predefined-plugin2', enabled: true },
    ]);
  });

  it('handles empty plugin list gracefully', () => {
    const out = defaultCluster(cluster(), { includePlugins: 'predefined-plugin1' });
    assert.deepEqual(out.spec.plugins, [{ name: 'predefined-plugin1', enabled: true }]);
  });
});

describe('default dataDurability', () => {
  const sync = { method: 'any' as const, number: 1 };

  it("should default dataDurability to 'required' when synchronous is present", () => {
    const out = setClusterDefaults(cluster({ postgresql: { synchronous: { ...sync } } }));
    assert.equal(out.spec.postgresql?.synchronous?.dataDurability, 'required');
  });

  it('should not touch synchronous if nil', () => {
    const out = setClusterDefaults(cluster({ postgresql: {} }));
    assert.equal(out.spec.postgresql?.synchronous, undefined);
  });

  it('should not change the dataDurability when set', () => {
    const out = setClusterDefaults(cluster({ postgresql: { synchronous: { ...sync, dataDurability: 'preferred' } } }));
    assert.equal(out.spec.postgresql?.synchronous?.dataDurability, 'preferred');
  });
});

describe('NewLivenessPingerConfigFromAnnotations', () => {
  const pinger = (value: string) => ({ [LIVENESS_PINGER_ANNOTATION]: value });

  it('returns a nil configuration when annotation is not present', () => {
    assert.equal(livenessPingerConfigFromAnnotations({}), undefined);
  });

  it('returns an error when annotation contains invalid JSON', () => {
    assert.throws(() => livenessPingerConfigFromAnnotations(pinger('{invalid_json')), /^Error: while unmarshalling/);
  });

  it('applies default values when timeouts are not specified', () => {
    assert.deepEqual(livenessPingerConfigFromAnnotations(pinger('{"enabled": true}')), {
      enabled: true,
      requestTimeout: 1000,
      connectionTimeout: 1000,
    });
  });

  it('preserves values when all fields are specified', () => {
    const value = '{"enabled": true, "requestTimeout": 300, "connectionTimeout": 600}';
    assert.deepEqual(livenessPingerConfigFromAnnotations(pinger(value)), {
      enabled: true,
      requestTimeout: 300,
      connectionTimeout: 600,
    });
  });

  it('correctly sets enabled to false when specified', () => {
    const value = '{"enabled": false, "requestTimeout": 300, "connectionTimeout": 600}';
    assert.deepEqual(livenessPingerConfigFromAnnotations(pinger(value)), {
      enabled: false,
      requestTimeout: 300,
      connectionTimeout: 600,
    });
  });

  it('correctly handles zero values for timeouts', () => {
    const value = '{"enabled": true, "requestTimeout": 0, "connectionTimeout": 0}';
    assert.deepEqual(livenessPingerConfigFromAnnotations(pinger(value)), {
      enabled: true,
      requestTimeout: 1000,
      connectionTimeout: 1000,
    });
  });
});

describe('probe defaults', () => {
  const defaultCheck = { enabled: true, requestTimeout: 1000, connectionTimeout: 1000 };
  const customCheck = { enabled: false, requestTimeout: 300, connectionTimeout: 600 };

  it('should set isolationCheck probe to true by default when no probes are specified', () => {
    assert.deepEqual(defaultCluster(cluster()).spec.probes?.liveness?.isolationCheck, defaultCheck);
  });

  it('should not override isolationCheck probe if already set', () => {
    const out = defaultCluster(cluster({ probes: { liveness: { isolationCheck: { ...customCheck } } } }));
    assert.deepEqual(out.spec.probes?.liveness?.isolationCheck, customCheck);
  });

  it('should set isolationCheck probe when it is not set but liveness probe is present', () => {
    const out = defaultCluster(cluster({ probes: { liveness: {} } }));
    assert.deepEqual(out.spec.probes?.liveness?.isolationCheck, defaultCheck);
  });

  it('should convert the existing annotations if set to true', () => {
    const value = '{"enabled": true, "requestTimeout": 300, "connectionTimeout": 600}';
    const out = defaultCluster(cluster({}, { [LIVENESS_PINGER_ANNOTATION]: value }));
    assert.deepEqual(out.spec.probes?.liveness?.isolationCheck, { ...customCheck, enabled: true });
  });

  it('should convert the existing annotations if set to false', () => {
    const value = '{"enabled": false, "requestTimeout": 300, "connectionTimeout": 600}';
    const out = defaultCluster(cluster({}, { [LIVENESS_PINGER_ANNOTATION]: value }));
    assert.deepEqual(out.spec.probes?.liveness?.isolationCheck, customCheck);
  });
});

describe('failover quorum defaults', () => {
  const withAnnotation = (value: string, failoverQuorum?: boolean): Cluster =>
    cluster(
      {
        postgresql: {
          synchronous: { method: 'any', number: 1, ...(failoverQuorum === undefined ? {} : { failoverQuorum }) },
        },
      },
      { 'alpha.cnpg.io/failoverQuorum': value },
    );

  it('should convert the annotation if present and set to true', () => {
    assert.equal(defaultCluster(withAnnotation('t')).spec.postgresql?.synchronous?.failoverQuorum, true);
  });

  it('should convert the annotation if present and set to false', () => {
    assert.equal(defaultCluster(withAnnotation('f', true)).spec.postgresql?.synchronous?.failoverQuorum, false);
  });

  it('should not convert the annotation if the value is wrong', () => {
    assert.equal(defaultCluster(withAnnotation('toast', true)).spec.postgresql?.synchronous?.failoverQuorum, true);
  });

  it('should not convert the annotation if the synchronous replication stanza has not been set', () => {
    const out = defaultCluster(cluster({}, { 'alpha.cnpg.io/failoverQuorum': 't' }));
    assert.equal(out.spec.postgresql?.synchronous, undefined);
  });

  it('should not override the existing setting if the annotation has not been set', () => {
    const out = defaultCluster(
      cluster({ postgresql: { synchronous: { method: 'any', number: 1, failoverQuorum: true } } }),
    );
    assert.equal(out.spec.postgresql?.synchronous?.failoverQuorum, true);
  });
});

// Beyond upstream's unit tests: the remaining steps and their interplay.

describe('defaultCluster: other steps', () => {
  it('never modifies its input', () => {
    const input = cluster({ tablespaces: [{ name: 'tbs', storage: { size: '1Gi' } }], backup: {} });
    const snapshot = structuredClone(input);
    defaultCluster(input, { includePlugins: 'p', monitoringQueriesConfigmap: 'x' });
    assert.deepEqual(input, snapshot);
  });

  it('is idempotent', () => {
    const opts = { includePlugins: 'p', monitoringQueriesConfigmap: 'x', monitoringQueriesSecret: 'y' };
    const once = defaultCluster(cluster({ tablespaces: [{ name: 'tbs', storage: { size: '1Gi' } }] }), opts);
    assert.deepEqual(defaultCluster(once, opts), once);
  });

  it('defaults a minimal cluster completely', () => {
    const spec = defaultCluster(cluster()).spec;
    assert.equal(spec.imageName, DEFAULT_IMAGE_NAME);
    assert.deepEqual(spec.bootstrap, {
      initdb: { database: 'app', owner: 'app', encoding: 'UTF8', localeCollate: 'C', localeCType: 'C' },
    });
    assert.deepEqual(spec.affinity, { podAntiAffinityType: 'preferred' });
    assert.equal(spec.logLevel, 'info');
    assert.deepEqual(spec.monitoring, {});
    assert.deepEqual(spec.replicationSlots, {
      highAvailability: { enabled: true, slotPrefix: '_cnpg_' },
      synchronizeReplicas: { enabled: true },
    });
    assert.equal(spec.plugins, undefined);
    assert.equal(spec.backup, undefined);
    assert.equal(spec.postgresql?.parameters?.archive_mode, 'on');
  });

  it('takes the image from the operator configuration', () => {
    const out = defaultCluster(cluster(), { postgresImageName: 'ghcr.io/cloudnative-pg/postgresql:16.4' });
    assert.equal(out.spec.imageName, 'ghcr.io/cloudnative-pg/postgresql:16.4');
  });

  it('leaves imageName unset with an image catalog', () => {
    const out = defaultCluster(
      cluster({ imageCatalogRef: { apiGroup: 'postgresql.cnpg.io', kind: 'ImageCatalog', name: 'c', major: 16 } }),
    );
    assert.equal(out.spec.imageName, undefined);
    assert.ok(out.spec.postgresql?.parameters);
  });

  it('leaves the parameters alone when the image tag has no version', () => {
    const out = defaultCluster(cluster({ imageName: 'postgres:latest', postgresql: { parameters: { a: 'b' } } }));
    assert.deepEqual(out.spec.postgresql?.parameters, { a: 'b' });
  });

  it('keeps the user parameters over the defaults', () => {
    const out = defaultCluster(cluster({ postgresql: { parameters: { wal_keep_size: '1GB', work_mem: '8MB' } } }));
    assert.equal(out.spec.postgresql?.parameters?.wal_keep_size, '1GB');
    assert.equal(out.spec.postgresql?.parameters?.work_mem, '8MB');
  });

  it('keeps reserved user parameters for validation, SetDefaults drops them', () => {
    const input = cluster({ postgresql: { parameters: { port: '5433' } } });
    assert.equal(defaultCluster(input).spec.postgresql?.parameters?.port, '5433');
    assert.equal(setClusterDefaults(input).spec.postgresql?.parameters?.port, undefined);
  });

  it('archives always on a replica cluster and never with skipWalArchiving', () => {
    const replica = defaultCluster(cluster({ replica: { source: 'origin', enabled: true } }));
    assert.equal(replica.spec.postgresql?.parameters?.archive_mode, 'always');
    const designatedPrimary = defaultCluster(cluster({ replica: { source: 'a', primary: 'cluster-example' } }));
    assert.equal(designatedPrimary.spec.postgresql?.parameters?.archive_mode, 'on');
    const skipped = defaultCluster(cluster({}, { 'cnpg.io/skipWalArchiving': 'enabled' }));
    assert.equal(skipped.spec.postgresql?.parameters?.archive_mode, 'off');
  });

  it('does not add an application database to a monolith import', () => {
    const initdb = defaultCluster(
      cluster({
        bootstrap: {
          initdb: { import: { type: 'monolith', databases: ['*'], source: { externalCluster: 'old' } } },
        },
      }),
    ).spec.bootstrap?.initdb;
    assert.equal(initdb?.database, undefined);
    assert.equal(initdb?.owner, undefined);
    assert.equal(initdb?.encoding, 'UTF8');
  });

  it('adds the application database to a microservice import', () => {
    const initdb = defaultCluster(
      cluster({
        bootstrap: {
          initdb: { import: { type: 'microservice', databases: ['db'], source: { externalCluster: 'old' } } },
        },
      }),
    ).spec.bootstrap?.initdb;
    assert.equal(initdb?.database, 'app');
  });

  it('keeps the user locale and encoding', () => {
    const initdb = defaultCluster(
      cluster({ bootstrap: { initdb: { encoding: 'LATIN1', localeCollate: 'en_US', localeCType: 'en_US' } } }),
    ).spec.bootstrap?.initdb;
    assert.deepEqual([initdb?.encoding, initdb?.localeCollate, initdb?.localeCType], ['LATIN1', 'en_US', 'en_US']);
  });

  it('does not set the anti-affinity type when anti-affinity is disabled or the type is set', () => {
    assert.deepEqual(defaultCluster(cluster({ affinity: { enablePodAntiAffinity: false } })).spec.affinity, {
      enablePodAntiAffinity: false,
    });
    const required = defaultCluster(
      cluster({ affinity: { enablePodAntiAffinity: true, podAntiAffinityType: 'required' } }),
    );
    assert.equal(required.spec.affinity?.podAntiAffinityType, 'required');
  });

  it('defaults the backup target only when a backup section exists', () => {
    assert.equal(defaultCluster(cluster({ backup: {} })).spec.backup?.target, 'prefer-standby');
    assert.equal(defaultCluster(cluster({ backup: { target: 'primary' } })).spec.backup?.target, 'primary');
  });

  it('keeps the log level', () => {
    assert.equal(defaultCluster(cluster({ logLevel: 'debug' })).spec.logLevel, 'debug');
  });

  it('does not add monitoring when default queries are disabled', () => {
    const out = defaultCluster(cluster({ monitoring: { disableDefaultQueries: true } }), {
      monitoringQueriesConfigmap: 'x',
    });
    assert.deepEqual(out.spec.monitoring, { disableDefaultQueries: true });
  });

  it('prepends the default queries before the user ones', () => {
    const out = defaultCluster(cluster({ monitoring: { customQueriesConfigMap: [{ name: 'mine', key: 'q' }] } }), {
      monitoringQueriesConfigmap: 'x',
    });
    assert.deepEqual(out.spec.monitoring?.customQueriesConfigMap, [
      { name: DEFAULT_MONITORING_CONFIGMAP_NAME, key: DEFAULT_MONITORING_KEY },
      { name: 'mine', key: 'q' },
    ]);
  });

  it('keeps the user replication slot settings', () => {
    const out = defaultCluster(
      cluster({ replicationSlots: { highAvailability: { enabled: false }, synchronizeReplicas: { enabled: false } } }),
    );
    assert.deepEqual(out.spec.replicationSlots, {
      highAvailability: { enabled: false },
      synchronizeReplicas: { enabled: false },
    });
  });

  it('gives tablespaces the application owner, or postgres without one', () => {
    const tablespaces = [
      { name: 'a', storage: { size: '1Gi' } },
      { name: 'b', storage: { size: '1Gi' }, owner: { name: 'keeper' } },
      { name: 'c', storage: { size: '1Gi' }, owner: {} },
    ];
    const owned = defaultCluster(cluster({ tablespaces, bootstrap: { initdb: { owner: 'alice' } } }));
    assert.deepEqual(
      owned.spec.tablespaces?.map((t) => t.owner?.name),
      ['alice', 'keeper', 'alice'],
    );
    const monolith = defaultCluster(
      cluster({
        tablespaces,
        bootstrap: { initdb: { import: { type: 'monolith', databases: ['*'], source: { externalCluster: 'o' } } } },
      }),
    );
    assert.deepEqual(
      monolith.spec.tablespaces?.map((t) => t.owner?.name),
      ['postgres', 'keeper', 'postgres'],
    );
    const recovered = defaultCluster(cluster({ tablespaces, bootstrap: { recovery: { owner: 'bob' } } }));
    assert.equal(recovered.spec.tablespaces?.[0]?.owner?.name, 'bob');
  });

  it('trims and skips empty INCLUDE_PLUGINS entries', () => {
    const out = defaultCluster(cluster(), { includePlugins: ' a , ,b,' });
    assert.deepEqual(out.spec.plugins, [
      { name: 'a', enabled: true },
      { name: 'b', enabled: true },
    ]);
  });

  it('ignores a malformed liveness pinger annotation (validation reports it)', () => {
    for (const value of ['{invalid', '{"requestTimeout": 5}', '{"enabled": "yes"}', '[]']) {
      const out = defaultCluster(cluster({}, { [LIVENESS_PINGER_ANNOTATION]: value }));
      assert.deepEqual(out.spec.probes?.liveness?.isolationCheck, {
        enabled: true,
        requestTimeout: 1000,
        connectionTimeout: 1000,
      });
    }
  });

  it('prefers the spec isolation check over the annotation', () => {
    const out = defaultCluster(
      cluster(
        { probes: { liveness: { isolationCheck: { enabled: true } } } },
        { [LIVENESS_PINGER_ANNOTATION]: '{"enabled": false}' },
      ),
    );
    assert.deepEqual(out.spec.probes?.liveness?.isolationCheck, { enabled: true });
  });
});

describe('livenessPingerConfigFromAnnotations: Go decoding rules', () => {
  const decode = (value: string) => livenessPingerConfigFromAnnotations({ [LIVENESS_PINGER_ANNOTATION]: value });
  it('matches keys case-insensitively and ignores unknown keys and nulls', () => {
    assert.deepEqual(decode('{"Enabled": true, "REQUESTTIMEOUT": 7, "other": 1, "connectionTimeout": null}'), {
      enabled: true,
      requestTimeout: 7,
      connectionTimeout: 1000,
    });
  });
  const rejected: [string, string][] = [
    ['{"requestTimeout": 5}', 'pinger config is missing the enabled field'],
    ['null', 'pinger config is missing the enabled field'],
    [
      '{"enabled": "yes"}',
      'while unmarshalling pinger config: json: cannot unmarshal string into Go struct field ' +
        'IsolationCheckConfiguration.enabled of type bool',
    ],
    [
      '{"enabled": true, "requestTimeout": 1.5}',
      'while unmarshalling pinger config: json: cannot unmarshal number 1.5 into Go struct field ' +
        'IsolationCheckConfiguration.requestTimeout of type int',
    ],
    [
      '[]',
      'while unmarshalling pinger config: json: cannot unmarshal array into Go value of type ' +
        'v1.IsolationCheckConfiguration',
    ],
  ];
  for (const [value, message] of rejected) {
    it(`rejects ${value}`, () => assert.throws(() => decode(value), { message }));
  }
});

describe('upstream sample Clusters', () => {
  const clusters = sampleDocuments().filter(({ doc }) => doc.kind === 'Cluster');
  it('are there', () => assert.ok(clusters.length > 50));
  for (const { file, doc } of clusters) {
    it(`${file} ${String((doc.metadata as { name?: string } | undefined)?.name)}`, () => {
      const input = applySchemaDefaults(ClusterSchema as unknown as SchemaNode, doc) as Cluster;
      const snapshot = structuredClone(input);
      const out = defaultCluster(input);
      assert.deepEqual(input, snapshot);
      assert.deepEqual(defaultCluster(out), out);
      assert.ok(out.spec.imageName !== undefined || out.spec.imageCatalogRef !== undefined);
      assert.ok(out.spec.bootstrap?.initdb || out.spec.bootstrap?.recovery || out.spec.bootstrap?.pg_basebackup);
      assert.equal(out.spec.postgresql?.parameters?.wal_level !== undefined, true);
      assert.deepEqual(out.spec.probes?.liveness?.isolationCheck !== undefined, true);
    });
  }
});
