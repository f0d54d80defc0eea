import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALLOWED_PGBOUNCER_PARAMETERS } from './pgbouncer-parameters.ts';
import { type Pooler, PoolerSchema } from './pooler-types.ts';
import { isAutomatedIntegration, validatePooler } from './pooler-validation.ts';
import { applySchemaDefaults, type SchemaNode, validateWithDefaults } from './schema-validate.ts';

type Spec = Pooler['spec'];

const pooler = (spec: Partial<Spec> = {}, name = 'pooler-example-rw'): Pooler => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Pooler',
  metadata: { name, namespace: 'default' },
  spec: { cluster: { name: 'cluster-example' }, pgbouncer: {}, ...spec },
});

const schema = PoolerSchema as unknown as SchemaNode;
const schemaErrors = (obj: unknown, old?: unknown) => validateWithDefaults(schema, obj, old).map(String);

const MANUAL = (name: string) =>
  `The operator won't handle the Pooler "${name}" integration with the Cluster "cluster-example" ("default"). ` +
  'Manually configure it as described in the docs.';
const DEPRECATED_AUTH_QUERY_SECRET = 'The .spec.pgbouncer.authQuerySecret field has been deprecated';
const DEPRECATED_MONITORING =
  'spec.monitoring is deprecated and will be removed in a future release. Set this field to false and create a ' +
  'PodMonitor resource for your pooler as described in the documentation';
const tlsMonitoring = (enablePodMonitor: boolean): Spec['monitoring'] => ({ enablePodMonitor, tls: { enabled: true } });

describe('validatePooler', () => {
  const cases: { name: string; obj: Pooler; errors: string[]; warnings?: string[] }[] = [
    {
      name: 'authQuerySecret without authQuery',
      obj: pooler({ pgbouncer: { authQuerySecret: { name: 'test' } } }),
      errors: [
        'spec.pgbouncer.authQuery: Invalid value: "": must specify an auth query when providing an auth query secret',
      ],
    },
    {
      name: 'serverTLSSecret without authQuery',
      obj: pooler({ pgbouncer: { serverTLSSecret: { name: 'tls' } } }),
      errors: [
        'spec.pgbouncer.authQuery: Invalid value: "": must specify an auth query when providing an auth query secret',
      ],
    },
    {
      name: 'authQuery without authQuerySecret',
      obj: pooler({ pgbouncer: { authQuery: 'test' } }),
      errors: [
        'spec.pgbouncer.authQuerySecret.name: Invalid value: "": must specify an existing auth query secret when ' +
          'providing an auth query secret',
      ],
    },
    {
      name: 'both authQuery and authQuerySecret',
      obj: pooler({ pgbouncer: { authQuery: 'test', authQuerySecret: { name: 'test' } } }),
      errors: [],
      warnings: [MANUAL('pooler-example-rw'), DEPRECATED_AUTH_QUERY_SECRET],
    },
    {
      name: 'authQuery with serverTLSSecret',
      obj: pooler({ pgbouncer: { authQuery: 'q', serverTLSSecret: { name: 'tls' } } }),
      errors: [],
      warnings: [MANUAL('pooler-example-rw')],
    },
    { name: 'the automatic integration', obj: pooler({ pgbouncer: {} }), errors: [] },
    {
      name: 'no pgbouncer section',
      obj: { ...pooler(), spec: { cluster: { name: 'cluster-example' } } as Spec },
      errors: ['spec.pgbouncer: Invalid value: "": required pgbouncer configuration'],
    },
    {
      name: 'no cluster name',
      obj: pooler({ cluster: { name: '' } }),
      errors: ['spec.cluster.name: Invalid value: "": must specify a cluster name'],
    },
    {
      name: 'the name of its cluster',
      obj: pooler({}, 'cluster-example'),
      errors: [
        'metadata.name: Invalid value: "cluster-example": the pooler resource cannot have the same name of a cluster',
      ],
    },
    { name: 'a cluster name', obj: pooler({ cluster: { name: 'cluster-example' } }), errors: [] },
    {
      name: 'a reserved parameter',
      obj: pooler({ pgbouncer: { parameters: { pool_mode: 'test' } } }),
      errors: ['spec.cluster.parameters: Invalid value: "pool_mode": Invalid or reserved parameter'],
    },
    {
      name: 'an unknown parameter next to a valid one',
      obj: pooler({ pgbouncer: { parameters: { verbose: '1', listen_port: '6432' } } }),
      errors: ['spec.cluster.parameters: Invalid value: "listen_port": Invalid or reserved parameter'],
    },
    { name: 'a valid parameter', obj: pooler({ pgbouncer: { parameters: { verbose: '10' } } }), errors: [] },
    { name: 'metrics TLS disabled', obj: pooler({ monitoring: { tls: { enabled: false } } }), errors: [] },
    {
      name: 'metrics TLS with a PodMonitor and a clientTLSSecret',
      obj: pooler({ monitoring: tlsMonitoring(true), pgbouncer: { clientTLSSecret: { name: 'my-tls' } } }),
      errors: [],
      warnings: [DEPRECATED_MONITORING],
    },
    {
      name: 'metrics TLS without a generated PodMonitor',
      obj: pooler({ monitoring: tlsMonitoring(false) }),
      errors: [],
    },
    {
      name: 'metrics TLS with a PodMonitor and no clientTLSSecret',
      obj: pooler({ monitoring: tlsMonitoring(true) }),
      errors: [
        'spec.pgbouncer.clientTLSSecret: Required value: required when monitoring.tls.enabled and ' +
          'monitoring.enablePodMonitor are both true',
      ],
    },
    {
      name: 'metrics TLS with a PodMonitor and an unnamed clientTLSSecret',
      obj: pooler({ monitoring: tlsMonitoring(true), pgbouncer: { clientTLSSecret: { name: '' } } }),
      errors: [
        'spec.pgbouncer.clientTLSSecret: Required value: required when monitoring.tls.enabled and ' +
          'monitoring.enablePodMonitor are both true',
      ],
    },
    {
      name: 'deprecated relabelings',
      obj: pooler({ monitoring: { podMonitorRelabelings: [{ action: 'drop', sourceLabels: ['x'] }] } }),
      errors: [],
      warnings: [DEPRECATED_MONITORING],
    },
    {
      name: 'a rejected pooler gets no warnings',
      obj: pooler({ pgbouncer: { authQuerySecret: { name: 'test' } } }, 'cluster-example'),
      errors: [
        'spec.pgbouncer.authQuery: Invalid value: "": must specify an auth query when providing an auth query secret',
        'metadata.name: Invalid value: "cluster-example": the pooler resource cannot have the same name of a cluster',
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = validatePooler(c.obj);
      assert.deepEqual(result.errors.map(String), c.errors);
      assert.deepEqual(result.warnings, c.warnings ?? []);
    });
  }
});

describe('isAutomatedIntegration', () => {
  for (const [name, pgbouncer, automated] of [
    ['nothing set', {}, true],
    ['authQuery', { authQuery: 'q' }, false],
    ['authQuerySecret', { authQuerySecret: { name: 's' } }, false],
    ['an unnamed authQuerySecret', { authQuerySecret: { name: '' } }, true],
    ['serverTLSSecret', { serverTLSSecret: { name: 't' } }, false],
    ['clientTLSSecret only', { clientTLSSecret: { name: 't' } }, true],
  ] as const) {
    it(name, () => assert.equal(isAutomatedIntegration(pooler({ pgbouncer })), automated));
  }
});

describe('PgBouncer parameter allow-list', () => {
  it('has the 56 upstream parameters', () => {
    assert.equal(ALLOWED_PGBOUNCER_PARAMETERS.size, 56);
    for (const p of ['auth_user', 'client_tls_ciphers', 'max_client_conn', 'server_tls_protocols', 'verbose']) {
      assert.ok(ALLOWED_PGBOUNCER_PARAMETERS.has(p), p);
    }
    for (const p of ['pool_mode', 'listen_port', 'auth_file', 'auth_query', 'client_tls_key_file']) {
      assert.ok(!ALLOWED_PGBOUNCER_PARAMETERS.has(p), p);
    }
  });
});

describe('Pooler schema', () => {
  it('defaults type, instances, poolMode and paused', () => {
    const stored = applySchemaDefaults(schema, pooler()) as Pooler;
    assert.equal(stored.spec.type, 'rw');
    assert.equal(stored.spec.instances, 1);
    assert.equal(stored.spec.pgbouncer.poolMode, 'session');
    assert.equal(stored.spec.pgbouncer.paused, false);
  });
  it('requires cluster and pgbouncer', () => {
    assert.deepEqual(schemaErrors({ ...pooler(), spec: {} }), [
      'spec.cluster: Required value',
      'spec.pgbouncer: Required value',
    ]);
  });
  it('accepts the r type and rejects others', () => {
    assert.deepEqual(schemaErrors(pooler({ type: 'r' })), []);
    assert.deepEqual(schemaErrors(pooler({ type: 'w' as never })), [
      'spec.type: Unsupported value: "w": supported values: "rw", "ro", "r"',
    ]);
  });
  it('keeps the cluster reference (CEL)', () => {
    assert.deepEqual(schemaErrors(pooler({ instances: 3 }), pooler()), []);
    assert.deepEqual(schemaErrors(pooler({ cluster: { name: 'other' } }), pooler()), [
      'spec.cluster: Invalid value: "object": cluster reference is immutable after creation',
    ]);
  });
  it('keeps serviceAccountName (CEL)', () => {
    assert.deepEqual(schemaErrors(pooler({ serviceAccountName: 'sa' }), pooler({ serviceAccountName: 'sa' })), []);
    assert.deepEqual(schemaErrors(pooler({ serviceAccountName: 'sa' }), pooler()), []);
    assert.deepEqual(schemaErrors(pooler({ serviceAccountName: 'b' }), pooler({ serviceAccountName: 'a' })), [
      'spec.serviceAccountName: Invalid value: "b": serviceAccountName is immutable',
    ]);
  });
  const catalogRef = { apiGroup: 'postgresql.cnpg.io', kind: 'ImageCatalog', name: 'catalog', key: 'pgbouncer' };
  it('takes an image or a catalog reference, not both (CEL)', () => {
    assert.deepEqual(schemaErrors(pooler({ pgbouncer: { image: 'pgbouncer:1.25' } })), []);
    assert.deepEqual(schemaErrors(pooler({ pgbouncer: { imageCatalogRef: catalogRef } })), []);
    assert.deepEqual(schemaErrors(pooler({ pgbouncer: { image: 'pgbouncer:1.25', imageCatalogRef: catalogRef } })), [
      'spec.pgbouncer: Invalid value: "object": image and imageCatalogRef are mutually exclusive',
    ]);
  });
  it('only references image catalogs (CEL)', () => {
    assert.deepEqual(schemaErrors(pooler({ pgbouncer: { imageCatalogRef: { ...catalogRef, kind: 'ConfigMap' } } })), [
      'spec.pgbouncer.imageCatalogRef: Invalid value: "object": Only image catalogs are supported',
    ]);
    assert.deepEqual(schemaErrors(pooler({ pgbouncer: { imageCatalogRef: { ...catalogRef, apiGroup: 'v1' } } })), [
      'spec.pgbouncer.imageCatalogRef: Invalid value: "object": Only image catalogs are supported',
    ]);
    assert.deepEqual(
      schemaErrors(pooler({ pgbouncer: { imageCatalogRef: { kind: 'ImageCatalog', name: 'c' } as never } })),
      ['spec.pgbouncer.imageCatalogRef.key: Required value'],
    );
  });
  it('accepts a pod template, deployment strategy and service template', () => {
    const spec: Partial<Spec> = {
      template: {
        metadata: { labels: { app: 'pooler' } },
        spec: { containers: [{ name: 'pgbouncer', resources: { limits: { cpu: '100m' } } }] },
      },
      deploymentStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '10%' } },
      serviceTemplate: { metadata: { labels: { app: 'pooler' } }, spec: { type: 'LoadBalancer' } },
    };
    assert.deepEqual(schemaErrors(pooler(spec)), []);
  });
  it('defaults the relabeling action', () => {
    const stored = applySchemaDefaults(
      schema,
      pooler({ monitoring: { podMonitorRelabelings: [{ targetLabel: 'x' }] } }),
    );
    assert.equal((stored as Pooler).spec.monitoring?.podMonitorRelabelings?.[0]?.action, 'replace');
  });
  it('accepts a status', () => {
    const status = {
      instances: 1,
      phase: 'active',
      phaseReason: '',
      image: 'pgbouncer:1.25',
      error: '',
      secrets: { clientTLS: { name: 'c', version: '1' }, pgBouncerSecrets: { authQuery: { name: 'a', version: '2' } } },
    };
    assert.deepEqual(schemaErrors({ ...pooler(), status }), []);
  });
});
