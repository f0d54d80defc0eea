import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cluster } from './cluster-types.ts';
import {
  InvalidPromotionTokenError,
  isReplica,
  maintenanceWindowWarnings,
  parsePromotionToken,
  validateCerts,
  validateExternalClusters,
  validateName,
  validatePromotionToken,
  validateReplicaClusterChange,
  validateReplicaClusterExternalClusters,
  validateReplicaMode,
} from './cluster-validation-topology.ts';
import type { FieldError } from './field-error.ts';
import { ruleCases, upstreamSampleClusters } from './rule-cases.testkit.ts';

const cluster = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}, status?: unknown): Cluster =>
  ({ metadata, spec, ...(status === undefined ? {} : { status }) }) as unknown as Cluster;

type Validator = (c: Cluster) => FieldError[];

interface Case {
  name: string;
  cluster: Cluster;
  /** Expected errors: a count, or the exact messages. */
  expect: number | string[];
}

function runCases(validate: Validator, cases: Case[]): void {
  ruleCases(cases, (c) => validate(c.cluster));
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const validToken = (overrides: Record<string, string> = {}) =>
  b64(
    JSON.stringify({
      latestCheckpointTimelineID: '3',
      redoWalFile: 'this-wal-file',
      databaseSystemIdentifier: '231231212',
      latestCheckpointREDOLocation: '33322232',
      timeOfLatestCheckpoint: "we don't know",
      operatorVersion: 'version info',
      ...overrides,
    }),
  );

describe('validateCerts', () => {
  runCases(validateCerts, [
    { name: "doesn't complain if there isn't a configuration", cluster: cluster({}), expect: 0 },
    {
      name: "doesn't complain if you specify some valid secret names",
      cluster: cluster({ certificates: { serverCASecret: 'test-server-ca', serverTLSSecret: 'test-server-tls' } }),
      expect: 0,
    },
    {
      name: 'does complain if you specify the TLS secret and not the CA',
      cluster: cluster({ certificates: { serverTLSSecret: 'test-server-tls' } }),
      expect: [
        'spec.certificates.servercasecret: Invalid value: "": ' +
          "Server CA secret can't be empty when server TLS secret is provided",
      ],
    },
    {
      name: 'does complain if you specify the TLS secret and AltDNSNames is not empty',
      cluster: cluster({
        certificates: {
          serverCASecret: 'test-server-ca',
          serverTLSSecret: 'test-server-tls',
          serverAltDNSNames: ['dns-name', 'other'],
        },
      }),
      expect: [
        'spec.certificates.serveraltdnsnames: Invalid value: "[dns-name other]": ' +
          "Server alternative DNS names can't be defined when server TLS secret is provided",
      ],
    },
    {
      name: 'accepts alternative DNS names with operator-generated certificates',
      cluster: cluster({ certificates: { serverAltDNSNames: ['dns-name'] } }),
      expect: 0,
    },
    {
      name: 'complains about a replication TLS secret without client CA',
      cluster: cluster({ certificates: { replicationTLSSecret: 'repl' } }),
      expect: [
        'spec.certificates.clientcasecret: Invalid value: "": ' +
          "Client CA secret can't be empty when client replication secret is provided",
      ],
    },
    {
      name: 'accepts a replication TLS secret with its client CA',
      cluster: cluster({ certificates: { replicationTLSSecret: 'repl', clientCASecret: 'ca' } }),
      expect: 0,
    },
  ]);
});

describe('validateName', () => {
  const named = (name: string) => cluster({}, { name });
  runCases(validateName, [
    {
      name: 'should be a valid DNS label',
      cluster: named('test.one'),
      expect: ['metadata.name: Invalid value: "test.one": cluster name must be a valid DNS label'],
    },
    {
      name: 'should not be too long',
      cluster: named('abcdefghi'.repeat(9)),
      expect: [
        `metadata.name: Invalid value: "${'abcdefghi'.repeat(9)}": cluster name must be a valid DNS label`,
        `metadata.name: Invalid value: "${'abcdefghi'.repeat(9)}": the maximum length of a cluster name is 50 characters`,
      ],
    },
    { name: 'should not raise errors when the name is ok', cluster: named('abcdefghi'.repeat(4)), expect: 0 },
    {
      name: 'should return errors when the name is not DNS-1035 compliant',
      cluster: named('4b96d026-a956-47eb-bae8-a99b840805c3'),
      expect: 1,
    },
    {
      name: 'should return errors when the name length is greater than 50',
      cluster: named(`${'toomuchlong'.repeat(4)}-after4times`),
      expect: [
        'metadata.name: Invalid value: "toomuchlongtoomuchlongtoomuchlongtoomuchlong-after4times": ' +
          'the maximum length of a cluster name is 50 characters',
      ],
    },
    { name: 'should return errors when having a name with dots', cluster: named('wrong.name'), expect: 1 },
    { name: 'rejects upper-case letters', cluster: named('Cluster'), expect: 1 },
    { name: 'accepts a name of exactly 50 characters', cluster: named(`a${'b'.repeat(49)}`), expect: 0 },
  ]);
});

describe('validateExternalClusters', () => {
  const ext = (...externalClusters: unknown[]) => cluster({ externalClusters });
  const params = { connectionParameters: { dbname: 'postgres' } };
  runCases(validateExternalClusters, [
    { name: "is correct when it's empty", cluster: cluster({}), expect: 0 },
    {
      name: 'complains when the list of clusters contains duplicates',
      cluster: ext({ name: 'one', ...params }, { name: 'one', ...params }),
      expect: [
        'spec.externalClusters: Invalid value: ' +
          '[{"name":"one","connectionParameters":{"dbname":"postgres"}},' +
          '{"name":"one","connectionParameters":{"dbname":"postgres"}}]: ' +
          'the list of external clusters contains duplicate values',
      ],
    },
    {
      name: 'complains when the list of servers contains duplicates with empty parameters',
      cluster: ext({ name: 'one', connectionParameters: {} }, { name: 'one', connectionParameters: {} }),
      expect: 1,
    },
    {
      name: 'should not raise errors is the cluster name is unique',
      cluster: ext({ name: 'one', ...params }, { name: 'two', ...params }),
      expect: 0,
    },
    {
      name: 'requires one of connectionParameters, plugin and barmanObjectStore',
      cluster: ext({ name: 'one' }),
      expect: [
        'spec.externalClusters[0]: Invalid value: {"name":"one"}: ' +
          'one of connectionParameters, plugin and barmanObjectStore is required',
      ],
    },
    { name: 'accepts connectionParameters alone', cluster: ext({ name: 'one', ...params }), expect: 0 },
    {
      name: 'accepts barmanObjectStore alone',
      cluster: ext({ name: 'one', barmanObjectStore: { destinationPath: 's3://b' } }),
      expect: 0,
    },
    { name: 'accepts a plugin alone', cluster: ext({ name: 'one', plugin: { name: 'p' } }), expect: 0 },
    {
      name: 'rejects a name that is a parent directory',
      cluster: ext({ name: '..', ...params }),
      expect: [
        'spec.externalClusters[0].name: Invalid value: "..": ' +
          "must not be '.' or '..' and must not contain '/' or '\\'",
      ],
    },
    { name: 'rejects a name that is the current directory', cluster: ext({ name: '.', ...params }), expect: 1 },
    { name: 'rejects a name with a slash', cluster: ext({ name: 'a/b', ...params }), expect: 1 },
    { name: 'rejects a name with a backslash', cluster: ext({ name: 'a\\b', ...params }), expect: 1 },
    { name: 'accepts a name with dots inside', cluster: ext({ name: 'a..b', ...params }), expect: 0 },
    {
      name: 'rejects TLS secret selectors escaping the secrets directory',
      cluster: ext({
        name: 'one',
        ...params,
        sslCert: { name: '../etc', key: 'tls.crt' },
        sslKey: { name: 'secret', key: '..' },
        sslRootCert: { name: 'ca', key: 'ca.crt' },
      }),
      expect: [
        'spec.externalClusters[0].sslCert.name: Invalid value: "../etc": ' +
          "must not be '.' or '..' and must not contain '/' or '\\'",
        'spec.externalClusters[0].sslKey.key: Invalid value: "..": ' +
          "must not be '.' or '..' and must not contain '/' or '\\'",
      ],
    },
    {
      name: 'accepts ordinary TLS secret selectors',
      cluster: ext({
        name: 'one',
        ...params,
        sslCert: { name: 'repl', key: 'tls.crt' },
        sslKey: { name: 'repl', key: 'tls.key' },
        sslRootCert: { name: 'ca', key: 'ca.crt' },
      }),
      expect: 0,
    },
  ]);
});

describe('isReplica', () => {
  it('is false without a replica section', () => assert.equal(isReplica(cluster({})), false));
  it('follows enabled when set', () => {
    assert.equal(isReplica(cluster({ replica: { source: 's', enabled: true } })), true);
    assert.equal(isReplica(cluster({ replica: { source: 's', enabled: false, primary: 'x' } })), false);
  });
  it('compares the primary with the cluster name', () => {
    assert.equal(isReplica(cluster({ replica: { source: 's', primary: 'me' } }, { name: 'me' })), false);
    assert.equal(isReplica(cluster({ replica: { source: 's', primary: 'other' } }, { name: 'me' })), true);
  });
  it('prefers self over the cluster name', () => {
    assert.equal(isReplica(cluster({ replica: { source: 's', primary: 'a', self: 'a' } }, { name: 'b' })), false);
  });
});

describe('validateReplicaMode', () => {
  const ext = [{ name: 'test' }];
  runCases(validateReplicaMode, [
    { name: 'ignores clusters without replica section', cluster: cluster({}), expect: 0 },
    {
      name: 'complains if the bootstrap method is not specified',
      cluster: cluster({ replica: { enabled: true, source: 'test' }, externalClusters: ext }),
      expect: [
        'spec.bootstrap: Invalid value: {"enabled":true,"source":"test"}: ' +
          'bootstrap configuration is required for replica mode',
      ],
    },
    {
      name: 'complains if the initdb bootstrap method is used',
      cluster: cluster({
        replica: { enabled: true, source: 'test' },
        bootstrap: { initdb: {} },
        externalClusters: ext,
      }),
      expect: [
        'spec.replicaCluster: Invalid value: {"enabled":true,"source":"test"}: ' +
          'replica mode bootstrap is compatible only with pg_basebackup or recovery',
      ],
    },
    {
      name: "doesn't complain about initdb if we enable the external cluster on an existing cluster",
      cluster: cluster(
        { replica: { enabled: true, source: 'test' }, bootstrap: { initdb: {} }, externalClusters: ext },
        { resourceVersion: 'existing' },
      ),
      expect: 0,
    },
    {
      name: 'is valid when the pg_basebackup bootstrap option is used',
      cluster: cluster({
        replica: { enabled: true, source: 'test' },
        bootstrap: { pg_basebackup: { source: 'test' } },
        externalClusters: ext,
      }),
      expect: 0,
    },
    {
      name: 'is valid when the restore bootstrap option is used',
      cluster: cluster({
        replica: { enabled: true, source: 'test' },
        bootstrap: { recovery: {} },
        externalClusters: ext,
      }),
      expect: 0,
    },
    {
      name: 'complains when the primary field is used with the enabled field',
      cluster: cluster({
        replica: { enabled: true, primary: 'toast', source: 'test' },
        bootstrap: { pg_basebackup: { source: 'test' } },
        externalClusters: [],
      }),
      expect: [
        'spec.replicaCluster.enabled: Invalid value: {"enabled":true,"primary":"toast","source":"test"}: ' +
          'replica mode enabled is not compatible with the primary field',
        'spec.replicaCluster.primaryServerName: Invalid value: "test": External cluster test not found',
        'spec.replicaCluster.primary: Invalid value: "toast": External cluster toast not found',
      ],
    },
    {
      name: "doesn't complain when the enabled field is not specified",
      cluster: cluster(
        {
          replica: { primary: 'test', source: 'test' },
          bootstrap: { pg_basebackup: { source: 'test' } },
          externalClusters: ext,
        },
        { name: 'test-2' },
      ),
      expect: 0,
    },
    {
      name: "doesn't complain when creating a new primary cluster with the replication stanza set",
      cluster: cluster(
        { replica: { primary: 'test', source: 'test' }, bootstrap: { initdb: {} }, externalClusters: ext },
        { name: 'test' },
      ),
      expect: 0,
    },
  ]);
});

describe('validateReplicaClusterExternalClusters', () => {
  runCases(validateReplicaClusterExternalClusters, [
    {
      name: "complains when the external cluster doesn't exist (source)",
      cluster: cluster({ replica: { enabled: true, source: 'test' }, externalClusters: [] }),
      expect: ['spec.replicaCluster.primaryServerName: Invalid value: "test": External cluster test not found'],
    },
    {
      name: "complains when the external cluster doesn't exist (primary)",
      cluster: cluster({ replica: { primary: 'test2', source: 'test' }, externalClusters: [{ name: 'test' }] }),
      expect: ['spec.replicaCluster.primary: Invalid value: "test2": External cluster test2 not found'],
    },
    {
      name: "complains when the external cluster doesn't exist (self)",
      cluster: cluster({
        replica: { self: 'test2', primary: 'test', source: 'test' },
        externalClusters: [{ name: 'test' }],
      }),
      expect: ['spec.replicaCluster.self: Invalid value: "test2": External cluster test2 not found'],
    },
    {
      name: 'accepts references to declared external clusters',
      cluster: cluster({
        replica: { self: 'a', primary: 'b', source: 'b' },
        externalClusters: [{ name: 'a' }, { name: 'b' }],
      }),
      expect: 0,
    },
  ]);
});

describe('validateReplicaClusterChange', () => {
  const inProgress = { switchReplicaClusterStatus: { inProgress: true } };
  const spec = (enabled: boolean) => ({ replica: { enabled, source: 'test' }, externalClusters: [{ name: 'test' }] });
  const cases: [string, Cluster, Cluster, string[]][] = [
    [
      'should complain if enabled is set to off during a transition',
      cluster(spec(false), { resourceVersion: 'existing' }, inProgress),
      cluster(spec(true), { resourceVersion: 'existing' }, inProgress),
      [
        'spec.replica.enabled: Forbidden: ' +
          'cannot modify the field while there is an ongoing operation to enable the replica cluster',
      ],
    ],
    ['allows the switch when nothing is in progress', cluster(spec(false)), cluster(spec(true)), []],
    ['allows other changes during a transition', cluster(spec(true), {}, inProgress), cluster(spec(true)), []],
  ];
  for (const [name, updated, old, expected] of cases) {
    it(name, () => assert.deepEqual(validateReplicaClusterChange(updated, old).map(String), expected));
  }
});

describe('validatePromotionToken', () => {
  const primary = (replica: Record<string, unknown>) =>
    cluster({ replica, bootstrap: { initdb: {} }, externalClusters: [{ name: 'test' }] });
  runCases(validatePromotionToken, [
    { name: 'ignores a cluster without token', cluster: primary({ enabled: false, source: 'test' }), expect: 0 },
    {
      name: 'complains if the replica token is not formatted in base64',
      cluster: primary({ enabled: false, source: 'test', promotionToken: 'this-is-a-wrong-token' }),
      expect: [
        'spec.replicaCluster.token: Invalid value: "this-is-a-wrong-token": Invalid promotionToken format: ' +
          'invalid promotion token (Base64 decoding failed): illegal base64 data at input byte 4',
      ],
    },
    {
      name: 'complains if the replica token is not valid',
      cluster: primary({ enabled: false, source: 'test', promotionToken: b64('{}') }),
      expect: [
        'spec.replicaCluster.token: Invalid value: "e30=": Invalid promotionToken content: ' +
          'invalid promotion token (LatestCheckpointTimelineID is empty)',
      ],
    },
    {
      name: "doesn't complain if the replica token is valid",
      cluster: primary({ enabled: false, source: 'test', promotionToken: validToken() }),
      expect: 0,
    },
    {
      name: 'complains if the token is set on a replica cluster (enabled)',
      cluster: cluster({ replica: { enabled: true, source: 'test', promotionToken: validToken() } }),
      expect: [
        `spec.replicaCluster.token: Invalid value: "${validToken()}": promotionToken is only allowed for primary clusters`,
      ],
    },
    {
      name: 'complains if the token is set on a replica cluster (primary, default name)',
      cluster: cluster(
        { replica: { primary: 'test', source: 'test', promotionToken: validToken() } },
        { name: 'test2' },
      ),
      expect: 1,
    },
    {
      name: 'complains if the token is set on a replica cluster (primary, self)',
      cluster: cluster({ replica: { primary: 'test', self: 'test2', source: 'test', promotionToken: validToken() } }),
      expect: 1,
    },
    {
      name: 'complains it the token is set when minApplyDelay is being used',
      cluster: cluster({
        replica: { primary: 'test', self: 'test', source: 'test', promotionToken: validToken(), minApplyDelay: '1h' },
      }),
      expect: [
        `spec.replicaCluster.minApplyDelay: Invalid value: "${validToken()}": ` +
          'minApplyDelay cannot be applied with a promotion token',
      ],
    },
    {
      name: 'reports the first missing fact of the token',
      cluster: primary({ enabled: false, source: 'test', promotionToken: validToken({ operatorVersion: '' }) }),
      expect: 1,
    },
  ]);
});

describe('parsePromotionToken', () => {
  const failure = (token: string) => {
    try {
      parsePromotionToken(token);
    } catch (e) {
      assert.ok(e instanceof InvalidPromotionTokenError);
      return e.message;
    }
    assert.fail('the token was accepted');
  };

  it('decodes every field', () => {
    assert.deepEqual(parsePromotionToken(validToken()), {
      latestCheckpointTimelineID: '3',
      redoWalFile: 'this-wal-file',
      databaseSystemIdentifier: '231231212',
      latestCheckpointREDOLocation: '33322232',
      timeOfLatestCheckpoint: "we don't know",
      operatorVersion: 'version info',
    });
  });

  it('matches keys case-insensitively and ignores unknown ones', () => {
    const content = parsePromotionToken(b64('{"REDOWALFile":"w","other":1,"operatorversion":"v"}'));
    assert.equal(content.redoWalFile, 'w');
    assert.equal(content.operatorVersion, 'v');
  });

  it('ignores newlines in the base64 text', () => {
    const token = validToken();
    assert.equal(parsePromotionToken(`${token.slice(0, 10)}\n${token.slice(10)}`).redoWalFile, 'this-wal-file');
  });

  const errors: [string, string, string][] = [
    ['unpadded base64', 'e30', 'invalid promotion token (Base64 decoding failed): illegal base64 data at input byte 0'],
    [
      'garbage after padding',
      'e30=e30=',
      'invalid promotion token (Base64 decoding failed): illegal base64 data at input byte 4',
    ],
    [
      'misplaced padding',
      'e===',
      'invalid promotion token (Base64 decoding failed): illegal base64 data at input byte 1',
    ],
    [
      'text that is not JSON',
      b64('not json'),
      "invalid promotion token (JSON decoding failed): invalid character 'o' in literal null (expecting 'u')",
    ],
    ['empty JSON', '', 'invalid promotion token (JSON decoding failed): unexpected end of JSON input'],
    [
      'a JSON array',
      b64('[1]'),
      'invalid promotion token (JSON decoding failed): ' +
        'json: cannot unmarshal array into Go value of type utils.PgControldataTokenContent',
    ],
    [
      'a number where a string is expected',
      b64('{"latestCheckpointTimelineID": 3}'),
      'invalid promotion token (JSON decoding failed): json: cannot unmarshal number into Go struct field ' +
        'PgControldataTokenContent.latestCheckpointTimelineID of type string',
    ],
    [
      'a trailing comma',
      b64('{"a":1,}'),
      "invalid promotion token (JSON decoding failed): invalid character '}' looking for beginning of object key string",
    ],
    [
      'trailing content',
      b64('{} x'),
      "invalid promotion token (JSON decoding failed): invalid character 'x' after top-level value",
    ],
  ];
  for (const [name, token, message] of errors) {
    it(`refuses ${name}`, () => assert.equal(failure(token), message));
  }

  it('reads JSON null as an empty token', () => {
    assert.equal(parsePromotionToken(b64('null')).operatorVersion, '');
  });
});

describe('maintenanceWindowWarnings', () => {
  it('warns when a node maintenance window is set', () => {
    assert.deepEqual(maintenanceWindowWarnings(cluster({ nodeMaintenanceWindow: { inProgress: false } })), [
      'Consider using `.spec.enablePDB` instead of the node maintenance window feature',
    ]);
  });
  it('says nothing otherwise', () => assert.deepEqual(maintenanceWindowWarnings(cluster({})), []));
});

describe('upstream samples', () => {
  const validators: Validator[] = [
    validateCerts,
    validateName,
    validateExternalClusters,
    validateReplicaMode,
    validatePromotionToken,
  ];
  for (const { file, cluster: c } of upstreamSampleClusters()) {
    it(`accepts ${file}`, () => assert.deepEqual(validators.flatMap((v) => v(c)).map(String), []));
  }
});
