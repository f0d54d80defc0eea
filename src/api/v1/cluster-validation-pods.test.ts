// Cases ported from upstream's internal/webhook/v1/cluster_webhook_test.go, run on defaulted clusters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cluster, ClusterSpec } from './cluster-types.ts';
import {
  isReservedEnvironmentVariable,
  labelValueErrors,
  monitoringWarnings,
  parseGoDuration,
  qualifiedNameErrors,
  validateAntiAffinity,
  validateEnv,
  validateHibernationAnnotation,
  validateLivenessPingerProbe,
  validateMaxSyncReplicas,
  validateMinSyncReplicas,
  validatePluginConfiguration,
  validatePodPatchAnnotation,
  validatePrimaryLease,
  validatePrimaryUpdateStrategy,
  validateResources,
  validateServiceAccountConfig,
  validateTolerations,
  validateUnixPermissionIdentifierChange,
} from './cluster-validation-pods.ts';
import type { FieldError } from './field-error.ts';
import { defaultedCluster, ruleCases } from './rule-cases.testkit.ts';

const cluster = (spec: Partial<ClusterSpec> = {}, annotations?: Record<string, string>): Cluster =>
  defaultedCluster(spec, annotations ? { annotations } : {});

interface Case {
  name: string;
  cluster: Cluster;
  expect: string[] | number;
}

function runCases(validate: (c: Cluster) => FieldError[], cases: Case[]): void {
  ruleCases(cases, (c) => validate(c.cluster));
}

describe('validatePrimaryUpdateStrategy', () => {
  runCases(validatePrimaryUpdateStrategy, [
    {
      name: "allows 'unsupervised'",
      cluster: cluster({ primaryUpdateStrategy: 'unsupervised', instances: 3 }),
      expect: [],
    },
    {
      name: "allows 'supervised'",
      cluster: cluster({ primaryUpdateStrategy: 'supervised', instances: 3 }),
      expect: [],
    },
    {
      name: "prevents 'supervised' for single-instance clusters",
      cluster: cluster({ primaryUpdateStrategy: 'supervised', instances: 1 }),
      expect: [
        'spec.primaryUpdateStrategy: Invalid value: "supervised": supervised update strategy is not allowed for clusters with a single instance',
      ],
    },
    {
      name: "allows 'unsupervised' for single-instance clusters",
      cluster: cluster({ primaryUpdateStrategy: 'unsupervised' }),
      expect: [],
    },
    {
      name: 'prevents everything else',
      cluster: {
        ...cluster({ instances: 3 }),
        spec: { ...cluster({ instances: 3 }).spec, primaryUpdateStrategy: 'maybe' as 'supervised' },
      },
      expect: [
        `spec.primaryUpdateStrategy: Invalid value: "maybe": primaryUpdateStrategy should be empty, 'supervised' or 'unsupervised'`,
      ],
    },
  ]);
});

describe('legacy synchronous replicas', () => {
  runCases(validateMaxSyncReplicas, [
    {
      name: 'max must not be negative',
      cluster: cluster({ instances: 3, maxSyncReplicas: -3 }),
      expect: ['spec.maxSyncReplicas: Invalid value: -3: maxSyncReplicas must be a non negative integer'],
    },
    {
      name: 'max must be below the number of instances',
      cluster: cluster({ instances: 3, maxSyncReplicas: 3 }),
      expect: ['spec.maxSyncReplicas: Invalid value: 3: maxSyncReplicas must be lower than the number of instances'],
    },
    {
      name: 'max must not exceed the number of instances',
      cluster: cluster({ instances: 3, maxSyncReplicas: 5 }),
      expect: 1,
    },
    { name: 'max can be zero', cluster: cluster({ instances: 3, maxSyncReplicas: 0 }), expect: [] },
    {
      name: 'max can be lower than the number of instances',
      cluster: cluster({ instances: 3, maxSyncReplicas: 2 }),
      expect: [],
    },
  ]);
  runCases(validateMinSyncReplicas, [
    {
      name: 'min must not be negative',
      cluster: cluster({ instances: 3, minSyncReplicas: -1 }),
      expect: ['spec.minSyncReplicas: Invalid value: -1: minSyncReplicas must be a non negative integer'],
    },
    {
      name: 'min must not exceed max',
      cluster: cluster({ instances: 3, minSyncReplicas: 2, maxSyncReplicas: 1 }),
      expect: ['spec.minSyncReplicas: Invalid value: 2: minSyncReplicas cannot be greater than maxSyncReplicas'],
    },
    {
      name: 'min can equal max',
      cluster: cluster({ instances: 3, minSyncReplicas: 1, maxSyncReplicas: 1 }),
      expect: [],
    },
  ]);
});

describe('validateTolerations', () => {
  const tolerations = (...list: NonNullable<NonNullable<ClusterSpec['affinity']>['tolerations']>) =>
    cluster({ affinity: { tolerations: list } });
  runCases(validateTolerations, [
    {
      name: 'accepts a proper toleration',
      cluster: tolerations({ key: 'test', operator: 'Exists', effect: 'NoSchedule' }),
      expect: [],
    },
    {
      name: 'rejects an empty key with Equal',
      cluster: tolerations({ key: '', operator: 'Equal', effect: 'NoSchedule' }),
      expect: [
        'spec.affinity.toleration[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, ' +
          'which means "match all values and all keys"',
      ],
    },
    { name: 'accepts an empty key with Exists', cluster: tolerations({ operator: 'Exists' }), expect: [] },
    {
      name: 'rejects tolerationSeconds without NoExecute',
      cluster: tolerations({ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 30 }),
      expect: [
        'spec.affinity.toleration[0].effect: Invalid value: "NoSchedule": effect must be \'NoExecute\' when `tolerationSeconds` is set',
      ],
    },
    {
      name: 'accepts tolerationSeconds with NoExecute',
      cluster: tolerations({ key: 'k', effect: 'NoExecute', tolerationSeconds: 30 }),
      expect: [],
    },
    {
      name: 'rejects a value with Exists',
      cluster: tolerations({ key: 'k', operator: 'Exists', value: 'v' }),
      expect: [
        'spec.affinity.toleration[0].operator: Invalid value: {"key":"k","operator":"Exists","value":"v"}: value ' +
          "must be empty when `operator` is 'Exists'",
      ],
    },
    {
      name: 'rejects an unknown operator',
      cluster: tolerations({ key: 'k', operator: 'Like' }),
      expect: ['spec.affinity.toleration[0].operator: Unsupported value: "Like": supported values: "Equal", "Exists"'],
    },
    {
      name: 'rejects an unknown effect',
      cluster: tolerations({ key: 'k', operator: 'Exists', effect: 'NoWay' }),
      expect: [
        'spec.affinity.toleration[0].effect: Unsupported value: "NoWay": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
      ],
    },
    {
      name: 'rejects an invalid key',
      cluster: tolerations({ key: 'bad key', operator: 'Exists' }),
      expect: [
        'spec.affinity.toleration[0].key: Invalid value: "bad key": name part must consist of alphanumeric ' +
          "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or " +
          "'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      ],
    },
    {
      name: 'rejects an invalid value with Equal',
      cluster: tolerations({ key: 'k', operator: 'Equal', value: '-bad-' }),
      expect: 1,
    },
    {
      name: 'accepts a prefixed key',
      cluster: tolerations({ key: 'node.kubernetes.io/unreachable', operator: 'Exists' }),
      expect: [],
    },
  ]);
});

describe('qualified names and label values', () => {
  it('checks prefixes and names', () => {
    assert.deepEqual(qualifiedNameErrors('example.com/MyName'), []);
    assert.deepEqual(qualifiedNameErrors('/x'), ['prefix part must be non-empty']);
    assert.equal(qualifiedNameErrors('a/b/c').length, 1);
    assert.deepEqual(qualifiedNameErrors('x'.repeat(64)), ['name part must be no more than 63 characters']);
    assert.equal(qualifiedNameErrors('Bad_Prefix/x').length, 1);
  });
  it('checks label values', () => {
    assert.deepEqual(labelValueErrors(''), []);
    assert.deepEqual(labelValueErrors('my_value'), []);
    assert.equal(labelValueErrors('-x').length, 1);
  });
});

describe('validateAntiAffinity', () => {
  const affinity = (enablePodAntiAffinity: boolean | undefined, podAntiAffinityType: string) => {
    const c = cluster();
    return { ...c, spec: { ...c.spec, affinity: { enablePodAntiAffinity, podAntiAffinityType } } };
  };
  runCases(validateAntiAffinity, [
    {
      name: 'accepts an empty affinity section',
      cluster: { ...cluster(), spec: { ...cluster().spec, affinity: {} } },
      expect: [],
    },
    { name: 'accepts required, enabled', cluster: affinity(true, 'required'), expect: [] },
    { name: 'accepts required, disabled', cluster: affinity(false, 'required'), expect: [] },
    { name: 'accepts preferred, enabled', cluster: affinity(true, 'preferred'), expect: [] },
    { name: 'accepts empty, enabled', cluster: affinity(true, ''), expect: [] },
    {
      name: 'rejects an unknown type, disabled',
      cluster: affinity(false, 'error'),
      expect: [
        `spec.affinity.podAntiAffinityType: Invalid value: "error": pod anti-affinity type must be 'preferred' (default if empty) or 'required'`,
      ],
    },
    { name: 'rejects an unknown type, enabled', cluster: affinity(true, 'error'), expect: 1 },
  ]);
});

describe('validateEnv', () => {
  it('knows the reserved names', () => {
    assert.ok(isReservedEnvironmentVariable('PGDATA'));
    assert.ok(isReservedEnvironmentVariable('pgdata'));
    assert.ok(isReservedEnvironmentVariable('CNPG_SECRET'));
    assert.ok(isReservedEnvironmentVariable('POD_NAME'));
    assert.ok(isReservedEnvironmentVariable('namespace'));
    assert.ok(isReservedEnvironmentVariable('CLUSTER_NAME'));
    assert.ok(!isReservedEnvironmentVariable('LC_ALL'));
  });
  runCases(validateEnv, [
    { name: 'accepts a free variable', cluster: cluster({ env: [{ name: 'TZ', value: 'Europe/Rome' }] }), expect: [] },
    {
      name: 'rejects a reserved variable',
      cluster: cluster({
        env: [
          { name: 'TZ', value: 'Europe/Rome' },
          { name: 'PGDATA', value: '/tmp' },
        ],
      }),
      expect: [
        'spec.postgresql.env[1].name: Invalid value: "PGDATA": the usage of this environment variable is reserved for the operator',
      ],
    },
  ]);
});

describe('validateResources', () => {
  const res = (
    requests: Record<string, string>,
    limits: Record<string, string> = {},
    parameters: Record<string, string> = {},
  ) => cluster({ resources: { requests, limits }, postgresql: { parameters } });
  const LOW = 'Memory request is lower than PostgreSQL `shared_buffers` value';
  runCases(validateResources, [
    {
      name: 'rejects a CPU request above the limit',
      cluster: res({ cpu: '2' }, { cpu: '1' }),
      expect: ['spec.resources.requests.cpu: Invalid value: "2": CPU request is greater than the limit'],
    },
    {
      name: 'rejects a memory request above the limit',
      cluster: res({ memory: '2Gi' }, { memory: '1Gi' }),
      expect: ['spec.resources.requests.memory: Invalid value: "2Gi": Memory request is greater than the limit'],
    },
    {
      name: 'accepts an ephemeral storage request equal to the limit',
      cluster: res({ 'ephemeral-storage': '1' }, { 'ephemeral-storage': '1' }),
      expect: [],
    },
    {
      name: 'rejects an ephemeral storage request above the limit',
      cluster: res({ 'ephemeral-storage': '2' }, { 'ephemeral-storage': '1' }),
      expect: [
        'spec.resources.requests.storage: Invalid value: "2": Ephemeral storage request is greater than the limit',
      ],
    },
    {
      name: 'reports CPU, memory and ephemeral storage in order',
      cluster: res(
        { cpu: '2', memory: '2Gi', 'ephemeral-storage': '2' },
        { cpu: '1', memory: '1Gi', 'ephemeral-storage': '1' },
      ),
      expect: [
        'spec.resources.requests.cpu: Invalid value: "2": CPU request is greater than the limit',
        'spec.resources.requests.memory: Invalid value: "2Gi": Memory request is greater than the limit',
        'spec.resources.requests.storage: Invalid value: "2": Ephemeral storage request is greater than the limit',
      ],
    },
    {
      name: 'reports CPU and memory',
      cluster: res({ cpu: '2', memory: '2Gi' }, { cpu: '1', memory: '1Gi' }),
      expect: 2,
    },
    {
      name: 'accepts requests below limits',
      cluster: res({ cpu: '1', memory: '1Gi' }, { cpu: '2', memory: '2Gi' }),
      expect: [],
    },
    { name: 'accepts a CPU request without limit', cluster: res({ cpu: '1' }), expect: [] },
    { name: 'accepts a CPU limit without request', cluster: res({}, { cpu: '1' }), expect: [] },
    { name: 'accepts a memory request without limit', cluster: res({ memory: '1Gi' }), expect: [] },
    { name: 'accepts a memory limit without request', cluster: res({}, { memory: '1Gi' }), expect: [] },
    {
      name: 'rejects a memory request below shared_buffers in kB',
      cluster: res({ memory: '1Gi' }, {}, { shared_buffers: '2000000kB' }),
      expect: [`spec.resources.requests: Invalid value: "1Gi": ${LOW}`],
    },
    {
      name: 'rejects a memory request below shared_buffers in MB',
      cluster: res({ memory: '1000Mi' }, {}, { shared_buffers: '2000MB' }),
      expect: [`spec.resources.requests: Invalid value: "1000Mi": ${LOW}`],
    },
    {
      name: 'accepts shared_buffers without a memory request',
      cluster: res({}, {}, { shared_buffers: '1GB' }),
      expect: [],
    },
    {
      name: 'accepts a memory request covering shared_buffers',
      cluster: res({ memory: '2Gi' }, {}, { shared_buffers: '1GB' }),
      expect: [],
    },
    {
      name: 'rejects hugepages requests different from limits',
      cluster: res({ memory: '2Gi', 'hugepages-1Gi': '1Gi' }, { 'hugepages-1Gi': '2Gi' }),
      expect: ['spec.resources.requests.hugepages-1Gi: Invalid value: "1Gi": HugePages requests must equal the limits'],
    },
    {
      name: 'rejects hugepages without cpu or memory',
      cluster: res({ 'hugepages-1Gi': '1Gi' }),
      expect: ['spec.resources: Forbidden: HugePages require cpu or memory'],
    },
    {
      name: 'rejects when no single request covers shared_buffers',
      cluster: res(
        { memory: '1Gi', 'ugepages-1Gi': '1Gi', 'hugepages-2Mi': '1Gi' },
        {},
        { shared_buffers: '2000000kB' },
      ),
      expect: [`spec.resources.requests: Invalid value: "1Gi": ${LOW}`],
    },
    {
      name: 'accepts a hugepages-1Gi request covering shared_buffers',
      cluster: res({ memory: '256Mi', 'hugepages-1Gi': '1Gi' }, {}, { shared_buffers: '1GB' }),
      expect: [],
    },
    {
      name: 'accepts a hugepages-2Mi limit covering shared_buffers',
      cluster: res({ memory: '256Mi' }, { 'hugepages-2Mi': '1Gi' }, { shared_buffers: '1GB' }),
      expect: [],
    },
    {
      name: 'ignores an unparsable shared_buffers',
      cluster: res({ memory: '1Gi' }, {}, { shared_buffers: 'invalid_value' }),
      expect: [],
    },
    {
      name: 'renders quantities canonically',
      cluster: res({ cpu: '2000m' }, { cpu: '1' }),
      expect: ['spec.resources.requests.cpu: Invalid value: "2": CPU request is greater than the limit'],
    },
  ]);
});

describe('validateHibernationAnnotation', () => {
  const hibernation = (value: string) => cluster({}, { 'cnpg.io/hibernation': value });
  runCases(validateHibernationAnnotation, [
    { name: 'accepts on', cluster: hibernation('on'), expect: [] },
    { name: 'accepts off', cluster: hibernation('off'), expect: [] },
    { name: 'accepts no annotation', cluster: cluster(), expect: [] },
    {
      name: 'rejects an empty value',
      cluster: hibernation(''),
      expect: [
        'metadata.annotations.cnpg.io/hibernation: Invalid value: "": Annotation value for hibernation should be "on" or "off"',
      ],
    },
  ]);
});

describe('validatePodPatchAnnotation', () => {
  const patched = (patch: string) => cluster({}, { 'cnpg.io/podPatch': patch });
  const field = 'metadata.annotations.cnpg.io/podPatch';
  it('accepts no annotation', () => assert.deepEqual(validatePodPatchAnnotation(cluster()), []));
  it('rejects a patch that does not decode', () => {
    const errors = validatePodPatchAnnotation(patched('invalid-json-patch'));
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.field, field);
    assert.equal(errors[0]?.detail, "error decoding JSON patch: invalid character 'i' looking for beginning of value");
  });
  it('rejects a patch that is not a list of operations', () => {
    assert.match(validatePodPatchAnnotation(patched('{"op":"add"}'))[0]?.detail ?? '', /^error decoding JSON patch: /);
  });
  it('rejects a patch that does not apply', () => {
    const errors = validatePodPatchAnnotation(
      patched('[{"op": "replace", "path": "/spec/podInvalidSection", "value": "test"}]'),
    );
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.field, field);
    assert.match(errors[0]?.detail ?? '', /^jsonpatch doesn't apply cleanly to the pod: /);
  });
  it('accepts a patch that applies', () => {
    assert.deepEqual(
      validatePodPatchAnnotation(patched('[{"op": "replace", "path": "/metadata/name", "value": "test"}]')),
      [],
    );
    assert.deepEqual(
      validatePodPatchAnnotation(
        patched(
          '[{"op":"add","path":"/spec/containers/0/env/-","value":{"name":"X","value":"1"}},{"op":"add","path":"/metadata/labels/a","value":"b"}]',
        ),
      ),
      [],
    );
  });
  it('rejects an unknown operation', () => {
    assert.match(
      validatePodPatchAnnotation(patched('[{"op":"merge","path":"/spec"}]'))[0]?.detail ?? '',
      /Unexpected kind: merge/,
    );
  });
});

describe('validatePluginConfiguration', () => {
  const wal1 = { name: 'walArchiverPlugin1', enabled: true, isWALArchiver: true };
  const wal2 = { name: 'walArchiverPlugin2', enabled: true, isWALArchiver: true };
  runCases(validatePluginConfiguration, [
    { name: 'accepts no plugins', cluster: cluster({ plugins: [] }), expect: [] },
    {
      name: 'rejects a WAL archiver plugin with barmanObjectStore',
      cluster: cluster({
        plugins: [wal1],
        backup: { barmanObjectStore: { destinationPath: 's3://x', s3Credentials: { inheritFromIAMRole: true } } },
      }),
      expect: [
        'spec.plugins: Invalid value: ["walArchiverPlugin1"]: Cannot enable a WAL archiver plugin when barmanObjectStore is configured',
      ],
    },
    {
      name: 'rejects two WAL archiver plugins',
      cluster: cluster({ plugins: [wal1, wal2] }),
      expect: [
        'spec.plugins: Invalid value: ["walArchiverPlugin1","walArchiverPlugin2"]: Cannot enable more than one WAL archiver plugin',
      ],
    },
    { name: 'accepts one WAL archiver plugin', cluster: cluster({ plugins: [wal1] }), expect: [] },
    {
      name: 'ignores disabled plugins',
      cluster: cluster({ plugins: [wal1, { ...wal2, enabled: false }] }),
      expect: [],
    },
  ]);
});

describe('validateLivenessPingerProbe', () => {
  const pinger = (value: string) => cluster({}, { 'alpha.cnpg.io/livenessPinger': value });
  runCases(validateLivenessPingerProbe, [
    { name: 'accepts no annotation', cluster: cluster(), expect: [] },
    {
      name: 'accepts a valid annotation',
      cluster: pinger('{"connectionTimeout": 1000, "requestTimeout": 5000, "enabled": true}'),
      expect: [],
    },
    {
      name: 'rejects an annotation without enabled',
      cluster: pinger('{"requestTimeout": 5000}'),
      expect: [
        'metadata.annotations.alpha.cnpg.io/livenessPinger: Invalid value: "{\\"requestTimeout\\": 5000}": error ' +
          'decoding liveness pinger config: pinger config is missing the enabled field',
      ],
    },
    { name: 'rejects an annotation that is not JSON', cluster: pinger('enabled'), expect: 1 },
  ]);
});

describe('validateServiceAccountConfig', () => {
  const template = { metadata: { annotations: { 'eks.amazonaws.com/role-arn': 'arn' } } };
  runCases(validateServiceAccountConfig, [
    { name: 'accepts a name alone', cluster: cluster({ serviceAccountName: 'my-sa' }), expect: [] },
    { name: 'accepts a template alone', cluster: cluster({ serviceAccountTemplate: template }), expect: [] },
    {
      name: 'rejects both',
      cluster: cluster({ serviceAccountName: 'my-sa', serviceAccountTemplate: template }),
      expect: 1,
    },
  ]);
});

describe('validatePrimaryLease', () => {
  runCases(validatePrimaryLease, [
    { name: 'accepts no lease configuration', cluster: cluster(), expect: [] },
    {
      name: 'accepts the defaults',
      cluster: cluster({ primaryLease: { leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 } }),
      expect: [],
    },
    {
      name: 'rejects a lease not longer than the renew deadline',
      cluster: cluster({ primaryLease: { leaseDurationSeconds: 10, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 } }),
      expect: [
        'spec.primaryLease.leaseDurationSeconds: Invalid value: 10: leaseDurationSeconds must be greater than renewDeadlineSeconds',
      ],
    },
    {
      name: 'rejects a renew deadline not above 1.2 retry periods',
      cluster: cluster({ primaryLease: { leaseDurationSeconds: 15, renewDeadlineSeconds: 6, retryPeriodSeconds: 5 } }),
      expect: [
        'spec.primaryLease.renewDeadlineSeconds: Invalid value: 6: renewDeadlineSeconds must be greater than 1.2 times retryPeriodSeconds',
      ],
    },
    {
      name: 'accepts a renew deadline just above 1.2 retry periods',
      cluster: cluster({ primaryLease: { leaseDurationSeconds: 15, renewDeadlineSeconds: 7, retryPeriodSeconds: 5 } }),
      expect: [],
    },
  ]);
});

describe('validateUnixPermissionIdentifierChange', () => {
  it('rejects a GID change', () => {
    assert.deepEqual(validateUnixPermissionIdentifierChange(cluster({ postgresGID: 53 }), cluster()).map(String), [
      'spec.postgresGID: Invalid value: 53: GID is an immutable field in the spec',
    ]);
  });
  it('rejects a UID change', () => {
    assert.deepEqual(validateUnixPermissionIdentifierChange(cluster({ postgresUID: 74 }), cluster()).map(String), [
      'spec.postgresUID: Invalid value: 74: UID is an immutable field in the spec',
    ]);
  });
  it('accepts unchanged values', () => {
    const c = cluster({ postgresUID: 74, postgresGID: 76 });
    assert.deepEqual(validateUnixPermissionIdentifierChange(c, structuredClone(c)), []);
  });
});

describe('monitoring warnings', () => {
  it('parses Go durations', () => {
    assert.equal(parseGoDuration('0'), 0);
    assert.equal(parseGoDuration('0s'), 0);
    assert.equal(parseGoDuration('1h0m0s'), 3600e9);
    assert.equal(parseGoDuration('1.5s'), 1.5e9);
    assert.equal(parseGoDuration('30'), undefined);
    assert.equal(parseGoDuration(''), undefined);
  });
  it('warns about a zero metrics TTL', () => {
    assert.deepEqual(monitoringWarnings(cluster({ monitoring: { metricsQueriesTTL: '0s' } })), [
      'spec.monitoring.metricsQueriesTTL is explicitly set to 0; this disables automatic TTL behavior and can ' +
        'cause heavy load on the PostgreSQL server.',
    ]);
    assert.deepEqual(monitoringWarnings(cluster({ monitoring: { metricsQueriesTTL: '30s' } })), []);
    assert.deepEqual(monitoringWarnings(cluster()), []);
  });
  it('warns about the deprecated PodMonitor fields', () => {
    const warnings = monitoringWarnings(
      cluster({
        monitoring: {
          enablePodMonitor: true,
          podMonitorMetricRelabelings: [{ action: 'drop' }],
          podMonitorRelabelings: [{ action: 'keep' }],
        },
      }),
    );
    assert.equal(warnings.length, 3);
    assert.match(warnings[0] ?? '', /^spec\.monitoring\.enablePodMonitor is deprecated/);
    assert.match(warnings[1] ?? '', /^spec\.monitoring\.podMonitorMetricRelabelings is deprecated/);
    assert.match(warnings[2] ?? '', /^spec\.monitoring\.podMonitorRelabelings is deprecated/);
  });
});
