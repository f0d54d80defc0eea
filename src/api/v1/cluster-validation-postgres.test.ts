// Cases ported from upstream's internal/webhook/v1/cluster_webhook_test.go, run on defaulted clusters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setClusterDefaults } from './cluster-defaults.ts';
import type { Cluster, ClusterSpec, ClusterStatus } from './cluster-types.ts';
import {
  compileGoRegExp,
  isReplicaCluster,
  postgresWarnings,
  sharedBuffersWarnings,
  synchronousReplicationWarnings,
  syncTopologyWarnings,
  validateConfiguration,
  validateConfigurationChange,
  validateFailoverQuorum,
  validateFailoverQuorumAlphaAnnotation,
  validateImageChange,
  validateImageName,
  validateImagePullPolicy,
  validateLDAP,
  validateReplicationSlots,
  validateReplicationSlotsChange,
  validateSynchronizeLogicalDecoding,
  validateSynchronousReplicaConfiguration,
  validateWALLevelChange,
} from './cluster-validation-postgres.ts';
import type { FieldError } from './field-error.ts';
import { defaultedCluster, ruleCases } from './rule-cases.testkit.ts';

const SHA = 'cff94de382ca538861622bbe84cfe03f44f307a9846a5c5eda672cf4dc692866';

interface Fixture {
  annotations?: Record<string, string>;
  name?: string;
  status?: ClusterStatus;
}

/** A cluster after schema defaults and the defaulting webhook, as validation receives it. */
const cluster = (spec: Partial<ClusterSpec> = {}, fixture: Fixture = {}): Cluster =>
  defaultedCluster(
    spec,
    {
      ...(fixture.name ? { name: fixture.name } : {}),
      ...(fixture.annotations ? { annotations: fixture.annotations } : {}),
    },
    fixture.status,
  );

const params = (parameters: Record<string, string>, spec: Partial<ClusterSpec> = {}): Partial<ClusterSpec> => ({
  ...spec,
  postgresql: { ...spec.postgresql, parameters },
});

interface Case {
  name: string;
  cluster: Cluster;
  /** Full messages, or just how many errors when upstream only counts them. */
  expect: string[] | number;
}

function runCases(validate: (c: Cluster) => FieldError[], cases: Case[]): void {
  ruleCases(cases, (c) => validate(c.cluster));
}

describe('validateImageName', () => {
  runCases(validateImageName, [
    { name: 'accepts the default image', cluster: cluster(), expect: [] },
    {
      name: 'accepts an unset image',
      cluster: { ...cluster(), spec: { ...cluster().spec, imageName: '' } },
      expect: [],
    },
    {
      name: "rejects the 'latest' tag",
      cluster: cluster({ imageName: 'postgres:latest' }),
      expect: [
        `spec.imageName: Invalid value: "postgres:latest": Can't use 'latest' as image tag as we can't detect upgrades`,
      ],
    },
    { name: 'accepts an alpha tag', cluster: cluster({ imageName: 'postgres:15alpha1' }), expect: [] },
    { name: 'accepts a beta tag', cluster: cluster({ imageName: 'postgres:15beta1' }), expect: [] },
    { name: 'accepts a release candidate tag', cluster: cluster({ imageName: 'postgres:15rc1' }), expect: [] },
    {
      name: 'rejects a digest-only image',
      cluster: cluster({ imageName: `postgres@sha256:${SHA}` }),
      expect: [
        `spec.imageName: Invalid value: "postgres@sha256:${SHA}": Can't use just the image sha as we can't detect upgrades`,
      ],
    },
    { name: 'accepts a version tag', cluster: cluster({ imageName: 'postgres:10.4' }), expect: [] },
    {
      name: 'accepts a version tag with a build suffix',
      cluster: cluster({ imageName: 'postgres:14.4-1' }),
      expect: [],
    },
    { name: 'accepts a tag with a digest', cluster: cluster({ imageName: `postgres:10.4@sha256:${SHA}` }), expect: [] },
    {
      name: 'rejects a tag that is not a PostgreSQL version',
      cluster: cluster({ imageName: 'postgres:test_12' }),
      expect: ['spec.imageName: Invalid value: "postgres:test_12": invalid version tag'],
    },
  ]);
});

describe('validateImagePullPolicy', () => {
  runCases(validateImagePullPolicy, [
    {
      name: 'rejects an unknown policy',
      cluster: cluster({ imagePullPolicy: 'wrong' }),
      expect: [
        `spec.imagePullPolicy: Invalid value: "wrong": invalid imagePullPolicy, if defined must be one of 'Always', 'Never' or 'IfNotPresent'`,
      ],
    },
    { name: 'accepts Always', cluster: cluster({ imagePullPolicy: 'Always' }), expect: [] },
    { name: 'accepts IfNotPresent', cluster: cluster({ imagePullPolicy: 'IfNotPresent' }), expect: [] },
    { name: 'accepts an unset policy', cluster: cluster(), expect: [] },
  ]);
});

const SKIP_WAL = { annotations: { 'cnpg.io/skipWalArchiving': 'enabled' } };

describe('validateConfiguration: WAL sizes', () => {
  runCases(validateConfiguration, [
    {
      name: 'accepts min < max without WAL storage',
      cluster: cluster(params({ min_wal_size: '80MB', max_wal_size: '1024' })),
      expect: [],
    },
    {
      name: 'accepts min < max < WAL volume',
      cluster: cluster(params({ min_wal_size: '1500', max_wal_size: '2 GB' }, { walStorage: { size: '3Gi' } })),
      expect: [],
    },
    {
      name: 'accepts decimal sizes',
      cluster: cluster(params({ min_wal_size: '1.5GB', max_wal_size: '2000' }, { walStorage: { size: '2Gi' } })),
      expect: [],
    },
    {
      name: 'accepts max alone below the WAL volume',
      cluster: cluster(params({ max_wal_size: '1GB' }, { walStorage: { size: '2Gi' } })),
      expect: [],
    },
    {
      name: 'accepts min alone below the WAL volume',
      cluster: cluster(params({ min_wal_size: '100MB' }, { walStorage: { size: '2Gi' } })),
      expect: [],
    },
    { name: 'accepts no WAL settings', cluster: cluster(params({})), expect: [] },
    {
      name: 'rejects min bigger than max',
      cluster: cluster(params({ min_wal_size: '1500', max_wal_size: '1GB' })),
      expect: [
        'spec.postgresql.parameters.min_wal_size: Invalid value: "1500": Invalid vale. Parameter min_wal_size ' +
          '(default 80MB) should be smaller than parameter max_wal_size (default 1GB)',
      ],
    },
    {
      name: 'rejects an unparsable min and still compares nothing with it',
      cluster: cluster(params({ min_wal_size: '2G', max_wal_size: '1GB' }, { walStorage: { size: '2Gi' } })),
      expect: [
        'spec.postgresql.parameters.min_wal_size: Invalid value: "2G": Invalid value for configuration parameter min_wal_size',
      ],
    },
    {
      name: 'rejects max bigger than the WAL volume',
      cluster: cluster(params({ max_wal_size: '2GB' }, { walStorage: { size: '1G' } })),
      expect: [
        'spec.postgresql.parameters.max_wal_size: Invalid value: "2GB": Invalid value. Parameter max_wal_size ' +
          '(default 1GB) should be smaller than WAL volume size',
      ],
    },
    {
      name: 'rejects a bare max (MB) bigger than the WAL volume',
      cluster: cluster(params({ min_wal_size: '80MB', max_wal_size: '1500' }, { walStorage: { size: '1G' } })),
      expect: 1,
    },
    {
      name: 'rejects min bigger than max and than the WAL volume',
      cluster: cluster(params({ min_wal_size: '3GB', max_wal_size: '1GB' }, { walStorage: { size: '2Gi' } })),
      expect: 2,
    },
    {
      name: 'rejects an invalid min',
      cluster: cluster(params({ min_wal_size: 'xxx', max_wal_size: '1GB' })),
      expect: 1,
    },
    {
      name: 'rejects an invalid max',
      cluster: cluster(params({ min_wal_size: '80', max_wal_size: '1Gb' }, { walStorage: { size: '2Gi' } })),
      expect: [
        'spec.postgresql.parameters.max_wal_size: Invalid value: "1Gb": Invalid value for configuration parameter max_wal_size',
      ],
    },
    {
      name: 'does not compare defaults with the WAL volume',
      cluster: cluster(params({}, { walStorage: { size: '100Mi' } })),
      expect: [],
    },
    {
      name: 'compares an explicit min with the default max',
      cluster: cluster(params({ min_wal_size: '1.5GB' }, { walStorage: { size: '2Gi' } })),
      expect: 1,
    },
    {
      name: 'compares an explicit max with the default min',
      cluster: cluster(params({ max_wal_size: '70MB' }, { walStorage: { size: '2Gi' } })),
      expect: 1,
    },
    {
      name: 'uses the PVC template request as WAL volume size',
      cluster: cluster(
        params(
          { max_wal_size: '2GB' },
          { walStorage: { pvcTemplate: { resources: { requests: { storage: '1Gi' } } } } },
        ),
      ),
      expect: 1,
    },
  ]);
});

describe('validateConfiguration: parameters', () => {
  runCases(validateConfiguration, [
    {
      name: 'rejects an invalid shared_buffers',
      cluster: cluster(params({ shared_buffers: 'invalid' })),
      expect: [
        'spec.postgresql.parameters.shared_buffers: Invalid value: "shared_buffers": Invalid value for ' +
          'configuration parameter shared_buffers. More info on accepted values format: ' +
          'https://www.postgresql.org/docs/current/config-setting.html#CONFIG-SETTING-NAMES-VALUES',
      ],
    },
    { name: 'accepts a valid shared_buffers', cluster: cluster(params({ shared_buffers: '512MB' })), expect: [] },
    {
      name: 'rejects a fixed parameter',
      cluster: cluster(params({ port: '5433' })),
      expect: ['spec.postgresql.parameters.port: Invalid value: "5433": Can\'t set fixed configuration parameter'],
    },
    {
      name: 'rejects a blocked parameter',
      cluster: cluster(params({ listen_addresses: '0.0.0.0' })),
      expect: [
        'spec.postgresql.parameters.listen_addresses: Invalid value: "0.0.0.0": Can\'t set fixed configuration parameter',
      ],
    },
    {
      name: 'accepts a blocked parameter equal to the operator default',
      cluster: cluster(params({ log_destination: 'csvlog' })),
      expect: [],
    },
    {
      // The defaulter overwrites archive_mode with the operator's value, as upstream.
      name: 'accepts archive_mode once defaulted',
      cluster: cluster(params({ archive_mode: 'off' })),
      expect: [],
    },
    {
      name: 'rejects a different archive_mode when not defaulted',
      cluster: (() => {
        const c = cluster();
        return { ...c, spec: { ...c.spec, postgresql: { parameters: { archive_mode: 'off' } } } };
      })(),
      expect: [
        'spec.postgresql.parameters.archive_mode: Invalid value: "off": Can\'t set fixed configuration parameter',
      ],
    },
    {
      name: 'rejects a malformed parameter name',
      cluster: cluster(params({ 'log_diconnections=': 'off' })),
      expect: [
        'spec.postgresql.parameters.log_diconnections=: Invalid value: "log_diconnections=": Invalid PostgreSQL ' +
          'configuration parameter name',
      ],
    },
    {
      name: 'rejects a parameter name smuggling a directive',
      cluster: cluster(params({ '#\narchive_command': '/bin/true' })),
      expect: 1,
    },
    { name: 'accepts a namespaced parameter', cluster: cluster(params({ 'pgaudit.log': 'all' })), expect: [] },
    {
      name: 'rejects PostgreSQL versions older than 13',
      cluster: cluster({ imageName: 'postgres:12' }),
      expect: [
        'spec.imageName: Invalid value: "postgres:12": Unsupported PostgreSQL version. Versions 13 or newer are supported',
      ],
    },
    {
      name: 'skips everything else on an unparsable image',
      cluster: cluster({ imageName: 'postgres:latest' }),
      expect: [],
    },
    {
      name: 'rejects both legacy and new synchronous configurations',
      cluster: cluster({
        instances: 3,
        minSyncReplicas: 1,
        maxSyncReplicas: 2,
        postgresql: { synchronous: { method: 'any', number: 2 } },
      }),
      expect: 1,
    },
    {
      name: 'rejects syncReplicaElectionConstraint enabled without labels',
      cluster: cluster({ postgresql: { syncReplicaElectionConstraint: { enabled: true } } }),
      expect: [
        "spec.postgresql.syncReplicaElectionConstraint.nodeLabelsAntiAffinity: Invalid value: null: Can't enable " +
          'syncReplicaConstraints without passing labels for comparison inside nodeLabelsAntiAffinity',
      ],
    },
    {
      name: 'accepts syncReplicaElectionConstraint with labels',
      cluster: cluster({
        postgresql: { syncReplicaElectionConstraint: { enabled: true, nodeLabelsAntiAffinity: ['az'] } },
      }),
      expect: [],
    },
  ]);
});

describe('validateConfiguration: wal_level', () => {
  const backup = {
    backup: { barmanObjectStore: { destinationPath: 's3://x', s3Credentials: { inheritFromIAMRole: true } } },
  };
  runCases(validateConfiguration, [
    {
      name: 'rejects minimal with archiving on',
      cluster: cluster(params({ wal_level: 'minimal', max_wal_senders: '0' }, backup)),
      expect: [
        'spec.postgresql.parameters.wal_level: Invalid value: "minimal": `wal_level` should be set at `logical` or ' +
          "`replica` when `archive_mode` is `on`, '.instances' field is greater than 1, or this is a replica cluster",
      ],
    },
    {
      name: 'accepts replica with archiving on',
      cluster: cluster(params({ wal_level: 'replica' }, backup)),
      expect: [],
    },
    {
      name: 'accepts logical with archiving on',
      cluster: cluster(params({ wal_level: 'logical' }, backup)),
      expect: [],
    },
    {
      name: 'rejects minimal with more than one instance',
      cluster: cluster(params({ wal_level: 'minimal', max_wal_senders: '0' }, { instances: 2 }), SKIP_WAL),
      expect: 1,
    },
    {
      name: 'accepts replica with two instances',
      cluster: cluster(params({ wal_level: 'replica' }, { instances: 2 })),
      expect: [],
    },
    {
      name: 'accepts logical with two instances',
      cluster: cluster(params({ wal_level: 'logical' }, { instances: 2 })),
      expect: [],
    },
    {
      name: 'rejects an unknown value',
      cluster: cluster(params({ wal_level: 'test' })),
      expect: [
        'spec.postgresql.parameters.wal_level: Invalid value: "test": unrecognized `wal_level` value - allowed ' +
          'values: `logical`, `replica`, `minimal`',
      ],
    },
    {
      name: 'rejects minimal on a replica cluster',
      cluster: cluster(
        params(
          { wal_level: 'minimal', max_wal_senders: '0' },
          { replica: { enabled: true, source: 'origin' }, bootstrap: { pg_basebackup: { source: 'origin' } } },
        ),
        SKIP_WAL,
      ),
      expect: 1,
    },
    {
      name: 'accepts minimal with one instance and no archiving',
      cluster: cluster(params({ wal_level: 'minimal', max_wal_senders: '0' }), SKIP_WAL),
      expect: [],
    },
    {
      name: 'rejects minimal without max_wal_senders = 0',
      cluster: cluster(params({ wal_level: 'minimal' }), SKIP_WAL),
      expect: [
        'spec.postgresql.parameters.max_wal_senders: Invalid value: "minimal": `max_wal_senders` should be set at ' +
          '`0` when `wal_level` is `minimal`',
      ],
    },
  ]);
});

describe('validateConfiguration: boolean parameters', () => {
  runCases(validateConfiguration, [
    {
      name: 'rejects a non-boolean wal_log_hints',
      cluster: cluster(params({ wal_log_hints: 'foo' })),
      expect: [
        'spec.postgresql.parameters.wal_log_hints: Invalid value: "foo": invalid `wal_log_hints` value. Must be a postgres boolean',
      ],
    },
    {
      name: 'accepts wal_log_hints off with one instance',
      cluster: cluster(params({ wal_log_hints: 'off' }), SKIP_WAL),
      expect: [],
    },
    {
      name: 'rejects wal_log_hints off with several instances',
      cluster: cluster(params({ wal_log_hints: 'off' }, { instances: 3 }), SKIP_WAL),
      expect: [
        'spec.postgresql.parameters.wal_log_hints: Invalid value: "off": `wal_log_hints` must be set to `on` when `instances` > 1',
      ],
    },
    {
      name: 'accepts wal_log_hints on with one instance',
      cluster: cluster(params({ wal_log_hints: 'on' }), SKIP_WAL),
      expect: [],
    },
    {
      name: 'accepts wal_log_hints true with several instances',
      cluster: cluster(params({ wal_log_hints: 'true' }, { instances: 3 }), SKIP_WAL),
      expect: [],
    },
    {
      name: 'rejects a non-boolean hot_standby_feedback',
      cluster: cluster(params({ hot_standby_feedback: 'maybe' })),
      expect: [
        'spec.postgresql.parameters.hot_standby_feedback: Invalid value: "maybe": invalid `hot_standby_feedback` ' +
          'value. Must be a postgres boolean',
      ],
    },
    {
      name: 'rejects a non-boolean sync_replication_slots',
      cluster: cluster(params({ sync_replication_slots: '2' })),
      expect: 1,
    },
  ]);
});

describe('validateSynchronousReplicaConfiguration', () => {
  const detail =
    'Invalid synchronous configuration: the number of synchronous replicas must be less than the total number ' +
    'of instances and the provided standby names.';
  const sync = (instances: number, number: number) =>
    cluster({
      instances,
      postgresql: {
        synchronous: { method: 'any', number, standbyNamesPost: ['standby1'], standbyNamesPre: ['standby2'] },
      },
    });
  it('accepts a cluster without synchronous replication', () =>
    assert.deepEqual(validateSynchronousReplicaConfiguration(cluster()), []));
  it('rejects more synchronous replicas than instances and standbys', () => {
    const errors = validateSynchronousReplicaConfiguration(sync(2, 5));
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.field, 'spec.postgresql.synchronous');
    assert.equal(errors[0]?.detail, detail);
  });
  it('rejects as many synchronous replicas as instances and standbys', () => {
    assert.equal(validateSynchronousReplicaConfiguration(sync(3, 5))[0]?.detail, detail);
  });
  it('accepts fewer synchronous replicas', () =>
    assert.deepEqual(validateSynchronousReplicaConfiguration(sync(2, 2)), []));
});

describe('failover quorum', () => {
  it('rejects a non-boolean annotation', () => {
    const c = cluster({ instances: 3 }, { annotations: { 'alpha.cnpg.io/failoverQuorum': 'toast' } });
    assert.deepEqual(validateFailoverQuorumAlphaAnnotation(c).map(String), [
      'metadata.annotations.alpha.cnpg.io/failoverQuorum: Invalid value: "toast": Invalid failoverQuorum annotation value, expected boolean.',
    ]);
  });
  it('rejects the annotation without synchronous replication', () => {
    const c = cluster({ instances: 3 }, { annotations: { 'alpha.cnpg.io/failoverQuorum': 't' } });
    assert.deepEqual(validateFailoverQuorumAlphaAnnotation(c).map(String), [
      'spec.postgresql.synchronous: Required value: Invalid failoverQuorum configuration: synchronous replication configuration is required.',
    ]);
  });
  it('accepts the annotation with synchronous replication', () => {
    const c = cluster(
      { instances: 3, postgresql: { synchronous: { method: 'any', number: 1 } } },
      { annotations: { 'alpha.cnpg.io/failoverQuorum': 'true' } },
    );
    assert.deepEqual(validateFailoverQuorumAlphaAnnotation(c), []);
    assert.deepEqual(validateFailoverQuorum(c), []);
  });
  it('accepts two or more instances', () => {
    const c = cluster({
      instances: 2,
      postgresql: { synchronous: { method: 'any', number: 1, failoverQuorum: true } },
    });
    assert.deepEqual(validateFailoverQuorum(c), []);
    assert.deepEqual(validateFailoverQuorum({ ...c, spec: { ...c.spec, instances: 3 } }), []);
  });
  it('rejects a number not above the external standbys', () => {
    const c = cluster({
      instances: 3,
      postgresql: {
        synchronous: {
          method: 'any',
          number: 1,
          standbyNamesPre: ['one', 'two'],
          standbyNamesPost: ['three', 'four'],
          failoverQuorum: true,
        },
      },
    });
    const errors = validateFailoverQuorum(c);
    assert.equal(errors.length, 1);
    assert.match(
      errors[0]?.detail ?? '',
      /^Invalid failoverQuorum configuration: spec\.postgresql\.synchronous\.number must/,
    );
  });
});

describe('validateLDAP', () => {
  runCases(validateLDAP, [
    { name: 'accepts no LDAP', cluster: cluster(), expect: [] },
    {
      name: 'accepts a server with bind',
      cluster: cluster({ postgresql: { ldap: { server: 'ldap.example.com', bindAsAuth: {} } } }),
      expect: [],
    },
    {
      name: 'rejects LDAP without a server',
      cluster: cluster({ postgresql: { ldap: { port: 389 } } }),
      expect: [
        'spec.postgresql.ldap: Invalid value: "": ldap server cannot be empty if any other ldap parameters are specified',
      ],
    },
    {
      name: 'rejects both bind methods',
      cluster: cluster({ postgresql: { ldap: { server: 'ldap', bindAsAuth: {}, bindSearchAuth: {} } } }),
      expect: [
        'spec.postgresql.ldap: Invalid value: "bindAsAuth or bindSearchAuth": only bind+search or bind method can be specified',
      ],
    },
  ]);
});

describe('validateReplicationSlots', () => {
  runCases(validateReplicationSlots, [
    { name: 'accepts the defaults', cluster: cluster(), expect: [] },
    {
      name: 'rejects an invalid exclude pattern',
      cluster: cluster({
        replicationSlots: { synchronizeReplicas: { enabled: true, excludePatterns: ['([a-zA-Z]+'] } },
      }),
      expect: 1,
    },
    {
      name: 'accepts a valid exclude pattern',
      cluster: cluster({
        replicationSlots: { synchronizeReplicas: { enabled: true, excludePatterns: ['validpattern'] } },
      }),
      expect: [],
    },
    {
      name: 'ignores patterns when slots are disabled',
      cluster: cluster({
        replicationSlots: {
          highAvailability: { enabled: false },
          synchronizeReplicas: { enabled: false, excludePatterns: ['(('] },
        },
      }),
      expect: [],
    },
  ]);
  it('reports the upstream detail', () => {
    const c = cluster({
      replicationSlots: { synchronizeReplicas: { enabled: true, excludePatterns: ['([a-zA-Z]+'] } },
    });
    const errors = validateReplicationSlots(c);
    assert.equal(errors[0]?.field, 'spec.replicationSlots.synchronizeReplicas.excludePatterns');
    assert.equal(errors[0]?.detail, 'Cannot configure synchronizeReplicas. Invalid regexes were found');
  });
});

describe('compileGoRegExp', () => {
  it('accepts RE2 named groups and leading flags', () => {
    assert.ok(compileGoRegExp('(?P<slot>^_cnpg_.*)').test('_cnpg_x'));
    assert.ok(compileGoRegExp('(?i)^ABC').test('abc'));
  });
  it('rejects lookarounds and backreferences, unknown to RE2', () => {
    assert.throws(() => compileGoRegExp('a(?=b)'));
    assert.throws(() => compileGoRegExp('(a)\\1'));
  });
});

describe('validateSynchronizeLogicalDecoding', () => {
  const sld = (imageName: string, parameters: Record<string, string>) =>
    cluster(
      params(parameters, {
        imageName,
        replicationSlots: { highAvailability: { enabled: true, synchronizeLogicalDecoding: true } },
      }),
    );
  runCases(validateSynchronizeLogicalDecoding, [
    {
      name: 'accepts the feature disabled',
      cluster: cluster({ replicationSlots: { highAvailability: { synchronizeLogicalDecoding: false } } }),
      expect: [],
    },
    {
      name: 'accepts pg_failover_slots',
      cluster: sld('postgres:16', {
        hot_standby_feedback: 'true',
        'pg_failover_slots.synchronize_slot_names': 'name_like:%',
      }),
      expect: [],
    },
    {
      name: 'rejects PostgreSQL < 17 without pg_failover_slots',
      cluster: sld('postgres:16', {}),
      expect: [
        'spec.replicationSlots.highAvailability.synchronizeLogicalDecoding: Invalid value: true: pg_failover_slots ' +
          'extension must be enabled to use synchronizeLogicalDecoding with Postgres versions < 17',
      ],
    },
    {
      name: 'rejects PostgreSQL 17 without hot_standby_feedback',
      cluster: sld('postgres:17', { sync_replication_slots: 'on', hot_standby_feedback: 'off' }),
      expect: [
        'spec.postgresql.parameters.hot_standby_feedback: Invalid value: false: `hot_standby_feedback` must be ' +
          'enabled to enable `spec.replicationSlots.highAvailability.synchronizeLogicalDecoding`',
      ],
    },
    {
      name: 'rejects PostgreSQL 17 without sync_replication_slots',
      cluster: sld('postgres:17', { hot_standby_feedback: 'on', sync_replication_slots: 'off' }),
      expect: [
        'spec.postgresql.parameters.sync_replication_slots: Invalid value: false: either `sync_replication_slots` ' +
          'setting or pg_failover_slots extension must be enabled to enable ' +
          '`spec.replicationSlots.highAvailability.synchronizeLogicalDecoding`',
      ],
    },
    {
      name: 'accepts PostgreSQL 17 with both settings',
      cluster: sld('postgres:17', { hot_standby_feedback: 'on', sync_replication_slots: 'on' }),
      expect: [],
    },
  ]);
});

describe('validateImageChange', () => {
  const withStatus = (spec: Partial<ClusterSpec>, major: number) =>
    cluster(spec, { status: { pgDataImageInfo: { image: 'test', majorVersion: major } } });
  const catalog = (major: number) => ({
    imageCatalogRef: { apiGroup: 'postgresql.cnpg.io', kind: 'ImageCatalog', name: 'test', major },
  });
  const cases: Array<{ name: string; old: Cluster; next: Cluster; expect: string[] }> = [
    { name: 'accepts no change', old: withStatus({}, 18), next: cluster(), expect: [] },
    {
      name: 'rejects a major downgrade',
      old: withStatus({ imageName: 'postgres:17.0' }, 17),
      next: cluster({ imageName: 'postgres:16.0' }),
      expect: ['spec.imageName: Invalid value: "16": can\'t downgrade from major 17 to 16'],
    },
    {
      name: 'accepts a minor downgrade',
      old: withStatus({ imageName: 'postgres:17.1' }, 17),
      next: cluster({ imageName: 'postgres:17.0' }),
      expect: [],
    },
    {
      name: 'rejects a catalog major downgrade',
      old: withStatus(catalog(16), 16),
      next: cluster(catalog(15)),
      expect: ['spec.imageCatalogRef.major: Invalid value: "15": can\'t downgrade from major 16 to 15'],
    },
    {
      name: 'accepts image name to catalog, same major',
      old: withStatus({ imageName: 'postgres:16.1' }, 16),
      next: cluster(catalog(16)),
      expect: [],
    },
    {
      name: 'rejects image name to lower catalog major',
      old: withStatus({ imageName: 'postgres:17.1' }, 17),
      next: cluster(catalog(16)),
      expect: ['spec.imageCatalogRef.major: Invalid value: "16": can\'t downgrade from major 17 to 16'],
    },
    {
      name: 'rejects default image to lower catalog major',
      old: withStatus({}, 18),
      next: cluster(catalog(16)),
      expect: ['spec.imageCatalogRef.major: Invalid value: "16": can\'t downgrade from major 18 to 16'],
    },
    { name: 'accepts default image to same catalog major', old: cluster(), next: cluster(catalog(18)), expect: [] },
    {
      name: 'accepts catalog to image name, same major',
      old: withStatus(catalog(17), 17),
      next: cluster({ imageName: 'postgres:17.1' }),
      expect: [],
    },
    {
      name: 'rejects catalog to lower image name',
      old: withStatus(catalog(17), 17),
      next: cluster({ imageName: 'postgres:16.1' }),
      expect: ['spec.imageName: Invalid value: "16": can\'t downgrade from major 17 to 16'],
    },
    {
      name: 'rejects catalog to lower default image',
      old: withStatus(catalog(19), 19),
      next: cluster(),
      expect: ['spec.imageName: Invalid value: "18": can\'t downgrade from major 19 to 18'],
    },
    { name: 'accepts catalog to same default image', old: withStatus(catalog(18), 18), next: cluster(), expect: [] },
    {
      name: 'rejects a major upgrade to 15',
      old: withStatus({ imageName: 'postgres:14' }, 14),
      next: cluster({ imageName: 'postgres:15' }),
      expect: ['spec.imageName: Invalid value: "15": major upgrades are only supported to version 16 or higher'],
    },
    {
      name: 'accepts a major upgrade to 16',
      old: withStatus({ imageName: 'postgres:15' }, 15),
      next: cluster({ imageName: 'postgres:16' }),
      expect: [],
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(validateImageChange(c.next, c.old).map(String), c.expect));
});

describe('validateConfigurationChange', () => {
  it('rejects image and parameters changing together with switchover', () => {
    const old = cluster({ imageName: 'postgres:16.4' });
    const next = cluster(
      params({ shared_buffers: '4GB' }, { imageName: 'postgres:16.5', primaryUpdateMethod: 'switchover' }),
    );
    assert.deepEqual(validateConfigurationChange(next, old).map(String), [
      'spec.imageName: Invalid value: "postgres:16.5": Can\'t change image name and configuration at the same time ' +
        'when `primaryUpdateMethod` is set to `switchover`. There are differences in PostgreSQL configuration ' +
        'parameters: {"shared_buffers":["","4GB"]}',
    ]);
  });
  it('accepts the image alone changing with switchover', () => {
    const old = cluster({ imageName: 'postgres:16.4' });
    const next = cluster({ imageName: 'postgres:16.5', primaryUpdateMethod: 'switchover' });
    assert.deepEqual(validateConfigurationChange(next, old), []);
  });
  it('accepts both changing with restart', () => {
    const old = cluster({ imageName: 'postgres:16.4' });
    const next = cluster(params({ shared_buffers: '4GB' }, { imageName: 'postgres:16.5' }));
    assert.deepEqual(validateConfigurationChange(next, old), []);
  });
});

describe('validateWALLevelChange', () => {
  it('rejects changing wal_level to minimal', () => {
    const old = cluster(params({ max_wal_senders: '0' }), SKIP_WAL);
    const next = cluster(params({ wal_level: 'minimal', max_wal_senders: '0' }), SKIP_WAL);
    assert.deepEqual(validateWALLevelChange(next, old).map(String), [
      'spec.postgresql.parameters.wal_level: Invalid value: "minimal": Change of `wal_level` to `minimal` not ' +
        'allowed on an existing cluster (from logical)',
    ]);
  });
  it('accepts keeping wal_level minimal', () => {
    const old = cluster(params({ wal_level: 'minimal', max_wal_senders: '0' }), SKIP_WAL);
    const next = cluster(params({ wal_level: 'minimal', max_wal_senders: '0', shared_buffers: '512MB' }), SKIP_WAL);
    assert.deepEqual(validateWALLevelChange(next, old), []);
  });
});

describe('validateReplicationSlotsChange', () => {
  const slots = (ha: boolean, sync: boolean | undefined, prefix = '_test_') =>
    setClusterDefaults(
      cluster({
        replicationSlots: {
          highAvailability: { enabled: ha, slotPrefix: prefix },
          ...(sync === undefined ? {} : { synchronizeReplicas: { enabled: sync } }),
        },
      }),
    );
  const change = (old: Cluster, edit: (c: Cluster) => void) => {
    const next = structuredClone(old);
    edit(next);
    return validateReplicationSlotsChange(next, old).map(String);
  };
  it('allows enabling slots on the fly', () => {
    const old = slots(false, false);
    assert.deepEqual(
      change(old, (c) => {
        c.spec.replicationSlots = {
          highAvailability: { enabled: true, slotPrefix: '_test_' },
          synchronizeReplicas: { enabled: true },
        };
      }),
      [],
    );
  });
  it('prevents changing the slot prefix while enabled', () => {
    assert.deepEqual(
      change(slots(true, undefined), (c) => {
        if (c.spec.replicationSlots?.highAvailability) c.spec.replicationSlots.highAvailability.slotPrefix = '_toast_';
      }),
      [
        'spec.replicationSlots.highAvailability.slotPrefix: Invalid value: "_toast_": Cannot change replication slot prefix while highAvailability is enabled',
      ],
    );
  });
  it('prevents removing the section while highAvailability is enabled', () => {
    assert.deepEqual(
      change(slots(true, false), (c) => {
        delete c.spec.replicationSlots;
      }),
      [
        'spec.replicationSlots: Invalid value: null: Cannot remove spec.replicationSlots section while highAvailability is enabled',
      ],
    );
  });
  it('prevents removing the section while synchronizeReplicas is enabled', () => {
    assert.equal(
      change(slots(false, true), (c) => {
        delete c.spec.replicationSlots;
      }).length,
      1,
    );
  });
  it('reports both features when removing the section', () => {
    assert.equal(
      change(slots(true, true), (c) => {
        delete c.spec.replicationSlots;
      }).length,
      2,
    );
  });
  it('allows disabling highAvailability', () => {
    assert.deepEqual(
      change(slots(true, undefined), (c) => {
        if (c.spec.replicationSlots?.highAvailability) c.spec.replicationSlots.highAvailability.enabled = false;
      }),
      [],
    );
  });
  it('prevents removing synchronizeReplicas while enabled', () => {
    const errors = change(slots(false, true), (c) => {
      if (c.spec.replicationSlots) delete c.spec.replicationSlots.synchronizeReplicas;
    });
    assert.deepEqual(errors, [
      'spec.replicationSlots.synchronizeReplicas: Invalid value: null: Cannot remove ' +
        'spec.replicationSlots.synchronizeReplicas section while synchronizeReplicas is enabled. Disable ' +
        'synchronizeReplicas first to allow cleanup of user-defined replication slots on replicas',
    ]);
  });
  it('allows disabling synchronizeReplicas', () => {
    assert.deepEqual(
      change(slots(false, true), (c) => {
        if (c.spec.replicationSlots?.synchronizeReplicas) c.spec.replicationSlots.synchronizeReplicas.enabled = false;
      }),
      [],
    );
  });
  it('allows removing synchronizeReplicas once disabled', () => {
    assert.deepEqual(
      change(slots(false, false), (c) => {
        if (c.spec.replicationSlots) delete c.spec.replicationSlots.synchronizeReplicas;
      }),
      [],
    );
  });
});

describe('isReplicaCluster', () => {
  it('follows replica.enabled, then self versus primary', () => {
    assert.equal(isReplicaCluster(cluster()), false);
    assert.equal(isReplicaCluster(cluster({ replica: { enabled: true, source: 'x' } })), true);
    assert.equal(isReplicaCluster(cluster({ replica: { primary: 'cluster-example', source: 'x' } })), false);
    assert.equal(isReplicaCluster(cluster({ replica: { primary: 'other', source: 'x' } })), true);
    assert.equal(isReplicaCluster(cluster({ replica: { self: 'a', primary: 'a', source: 'x' } })), false);
  });
});

describe('warnings', () => {
  it('warns about shared_buffers without a unit', () => {
    assert.deepEqual(sharedBuffersWarnings(cluster(params({ shared_buffers: '1024' }))), [
      "`shared_buffers` value '1024' is missing a unit (e.g., MB, GB). While this is currently allowed, future " +
        "releases will require an explicit unit. Please update your configuration to specify a valid unit, such as '1024MB'.",
    ]);
    assert.deepEqual(sharedBuffersWarnings(cluster(params({ shared_buffers: '1GB' }))), []);
  });
  it('warns about several instances without synchronous replication', () => {
    assert.equal(synchronousReplicationWarnings(cluster({ instances: 3 })).length, 1);
    assert.deepEqual(synchronousReplicationWarnings(cluster({ instances: 1 })), []);
    assert.deepEqual(
      synchronousReplicationWarnings(
        cluster({ instances: 3, postgresql: { synchronous: { method: 'any', number: 1 } } }),
      ),
      [],
    );
    assert.deepEqual(
      synchronousReplicationWarnings(cluster({ instances: 3, minSyncReplicas: 1, maxSyncReplicas: 1 })),
      [],
    );
    assert.deepEqual(
      synchronousReplicationWarnings(
        cluster({
          instances: 3,
          replica: { enabled: true, source: 'x' },
          bootstrap: { pg_basebackup: { source: 'x' } },
        }),
      ),
      [],
    );
  });
  it('warns when failure-domain keys cannot be satisfied', () => {
    const spec: Partial<ClusterSpec> = {
      instances: 3,
      postgresql: { synchronous: { method: 'any', number: 1, podFailureDomainKeys: ['zone'] } },
    };
    const condition = {
      type: 'SyncReplicationTopologySatisfied',
      status: 'False',
      reason: 'InsufficientFailureDomains',
      message: 'only 1 zone available',
      lastTransitionTime: new Date(0),
    };
    const warnings = syncTopologyWarnings(cluster(spec, { status: { conditions: [condition] } }));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /InsufficientFailureDomains.*only 1 zone available/);
    const satisfied = { ...condition, status: 'True' };
    assert.deepEqual(syncTopologyWarnings(cluster(spec, { status: { conditions: [satisfied] } })), []);
    assert.deepEqual(syncTopologyWarnings(cluster({ instances: 3 }, { status: { conditions: [condition] } })), []);
  });
  it('collects the module warnings in order', () => {
    const warnings = postgresWarnings(cluster(params({ shared_buffers: '64' }, { instances: 2 })));
    assert.equal(warnings.length, 2);
    assert.match(warnings[0] ?? '', /shared_buffers/);
  });
});
