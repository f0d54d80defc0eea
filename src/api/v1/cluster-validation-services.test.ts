// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pg_hba and extension env hold literal ${...}
// Cases ported from upstream's internal/webhook/v1/cluster_webhook_test.go, run on defaulted clusters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cluster, ClusterSpec, ManagedService } from './cluster-types.ts';
import {
  isRoleReserved,
  validateExtensions,
  validateManagedExtensions,
  validateManagedRoles,
  validateManagedServices,
  validatePgFailoverSlots,
  validatePodSelectorRefs,
} from './cluster-validation-services.ts';
import type { FieldError } from './field-error.ts';
import { defaultedCluster, ruleCases } from './rule-cases.testkit.ts';

const cluster = (spec: Partial<ClusterSpec> = {}, name = 'cluster-example'): Cluster =>
  defaultedCluster(spec, { name });

interface Case {
  name: string;
  cluster: Cluster;
  expect: string[] | number;
}

function runCases(validate: (c: Cluster) => FieldError[], cases: Case[]): void {
  ruleCases(cases, (c) => validate(c.cluster));
}

describe('validateManagedServices', () => {
  const service = (name: string, extra: Partial<ManagedService['serviceTemplate']> = {}): ManagedService => ({
    selectorType: 'rw',
    serviceTemplate: { metadata: { name }, ...extra },
  });
  const services = (additional: ManagedService[], disabledDefaultServices?: Array<'rw' | 'r' | 'ro'>) =>
    cluster(
      { managed: { services: { additional, ...(disabledDefaultServices ? { disabledDefaultServices } : {}) } } },
      'test',
    );
  runCases(validateManagedServices, [
    { name: 'accepts no managed section', cluster: cluster(), expect: [] },
    { name: 'accepts no services section', cluster: cluster({ managed: {} }), expect: [] },
    { name: 'accepts distinct names', cluster: services([service('service1'), service('service2')]), expect: [] },
    {
      name: 'rejects duplicate names',
      cluster: services([service('service1'), service('service1')]),
      expect: [
        'spec.managed.services.additional: Invalid value: ["service1","service1"]: contains services with the same .metadata.name',
      ],
    },
    {
      name: 'rejects a template without a name',
      cluster: services([service('')]),
      expect: ['spec.managed.services.additional[0]: Invalid value: "": name is required'],
    },
    {
      name: 'rejects the reserved names',
      cluster: services([service('test-rw'), service('test-r'), service('test-ro'), service('test-any')]),
      expect: [
        'spec.managed.services.additional[0]: Invalid value: "test-rw": the service name: \'test-rw\' is reserved for operator use',
        'spec.managed.services.additional[1]: Invalid value: "test-r": the service name: \'test-r\' is reserved for operator use',
        'spec.managed.services.additional[2]: Invalid value: "test-ro": the service name: \'test-ro\' is reserved for operator use',
        'spec.managed.services.additional[3]: Invalid value: "test-any": the service name: \'test-any\' is reserved for operator use',
      ],
    },
    {
      name: 'rejects a selector in the template',
      cluster: services([service('valid-name', { spec: { selector: { app: 'test' } } })]),
      expect: [
        'spec.managed.services.additional[0]: Invalid value: {"app":"test"}: selector field is managed by the operator',
      ],
    },
    {
      name: 'accepts an empty selector',
      cluster: services([service('valid-name', { spec: { selector: {} } })]),
      expect: [],
    },
    { name: 'allows disabling ro and r', cluster: services([], ['r', 'ro']), expect: [] },
    {
      name: 'forbids disabling rw',
      cluster: services([], ['rw']),
      expect: [
        'spec.managed.services.disabledDefaultServices: Invalid value: "rw": service of type RW cannot be disabled.',
      ],
    },
  ]);
});

describe('validateManagedRoles', () => {
  const roles = (...list: NonNullable<NonNullable<ClusterSpec['managed']>['roles']>) =>
    cluster({ managed: { roles: list } });
  it('knows the reserved roles', () => {
    for (const name of ['postgres', 'streaming_replica', 'pg_monitor', 'cnpg_pooler_pgbouncer'])
      assert.ok(isRoleReserved(name), name);
    assert.ok(!isRoleReserved('app'));
  });
  runCases(validateManagedRoles, [
    { name: 'accepts no managed section', cluster: cluster(), expect: [] },
    { name: 'accepts a role that is not reserved', cluster: roles({ name: 'non-conflicting' }), expect: [] },
    {
      name: 'rejects an invalid connection limit',
      cluster: roles({ name: 'non-conflicting', connectionLimit: -3 }),
      expect: ['spec.managed.roles: Invalid value: -3: Connection limit should be positive, unless defaulting to -1'],
    },
    {
      name: 'rejects a reserved role',
      cluster: roles({ name: 'postgres' }),
      expect: ['spec.managed.roles: Invalid value: "postgres": This role is reserved for operator use'],
    },
    {
      name: 'reports a reserved role with an invalid limit twice',
      cluster: roles({ name: 'postgres', connectionLimit: -3 }),
      expect: 2,
    },
    {
      name: 'rejects two roles with the same name',
      cluster: roles(
        { name: 'my_test', connectionLimit: -1 },
        { name: 'my_test', superuser: true, bypassrls: true, connectionLimit: -1 },
      ),
      expect: ['spec.managed.roles: Invalid value: "my_test": Role name is duplicate of another'],
    },
    {
      name: 'rejects a role that sets and disables a password',
      cluster: roles({
        name: 'my_test',
        superuser: true,
        disablePassword: true,
        passwordSecret: { name: 'myPassword' },
      }),
      expect: ['spec.managed.roles: Invalid value: "my_test": This role both sets and disables a password'],
    },
  ]);
});

describe('validateManagedExtensions', () => {
  const slots = (parameters: Record<string, string>, haEnabled?: boolean) =>
    cluster({
      postgresql: { parameters },
      ...(haEnabled === undefined ? {} : { replicationSlots: { highAvailability: { enabled: haEnabled } } }),
    });
  runCases(validateManagedExtensions, [
    { name: 'accepts no managed extension', cluster: cluster(), expect: [] },
    {
      name: 'rejects an invalid hot_standby_feedback',
      cluster: slots({ hot_standby_feedback: 'foo', 'pg_failover_slots.synchronize_slot_names': 'my_slot' }, true),
      expect: [
        'spec.postgresql.parameters.hot_standby_feedback: Invalid value: false: `hot_standby_feedback` must be enabled to use  extension',
      ],
    },
    {
      name: 'accepts pg_failover_slots with its prerequisites',
      cluster: slots({ hot_standby_feedback: 'on', 'pg_failover_slots.synchronize_slot_names': 'my_slot' }, true),
      expect: [],
    },
    {
      name: 'rejects pg_failover_slots with HA slots disabled',
      cluster: slots({ hot_standby_feedback: 'yes', 'pg_failover_slots.synchronize_slot_names': 'my_slot' }, false),
      expect: [
        'spec.replicationSlots.highAvailability: Invalid value: "nil or false": High Availability replication slots must be enabled',
      ],
    },
    {
      name: 'rejects pg_failover_slots without hot_standby_feedback',
      cluster: slots({ 'pg_failover_slots.synchronize_slot_names': 'my_slot' }, true),
      expect: 1,
    },
  ]);
  it('reports both prerequisites on a cluster without replication slots', () => {
    const c = slots({ 'pg_failover_slots.synchronize_slot_names': 'my_slot' });
    delete c.spec.replicationSlots;
    assert.deepEqual(validatePgFailoverSlots(c).map(String).slice(1), [
      'spec.replicationSlots: Invalid value: null: replicationSlots must be enabled',
    ]);
  });
});

describe('validatePodSelectorRefs', () => {
  const refs = (podSelectorRefs: ClusterSpec['podSelectorRefs'], pgHba: string[] = []) =>
    cluster({ podSelectorRefs, postgresql: { pg_hba: pgHba } });
  const app = { name: 'app-pods', selector: { matchLabels: { app: 'myapp' } } };
  const monitoring = { name: 'monitoring', selector: { matchLabels: { role: 'monitoring' } } };
  runCases(validatePodSelectorRefs, [
    { name: 'accepts no selectors', cluster: cluster(), expect: [] },
    {
      name: 'accepts the upstream sample',
      cluster: refs(
        [app, monitoring],
        [
          'hostssl mydb myuser ${podselector:app-pods} scram-sha-256',
          'hostssl postgres monitor ${podselector:monitoring} scram-sha-256',
          'host all all 10.244.0.0/16 md5',
        ],
      ),
      expect: [],
    },
    {
      name: 'rejects duplicate names',
      cluster: refs([app, { ...monitoring, name: 'app-pods' }]),
      expect: ['spec.podSelectorRefs[1].name: Duplicate value: "app-pods"'],
    },
    {
      name: 'rejects an invalid selector',
      cluster: refs([{ name: 'x', selector: { matchExpressions: [{ key: 'app', operator: 'In' }] } }]),
      expect: [
        "spec.podSelectorRefs[0].selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      ],
    },
    {
      name: 'rejects an unknown selector operator',
      cluster: refs([
        { name: 'x', selector: { matchExpressions: [{ key: 'app', operator: 'Maybe', values: ['a'] }] } },
      ]),
      expect: [
        'spec.podSelectorRefs[0].selector.matchExpressions[0].operator: Invalid value: "Maybe": not a valid selector operator',
      ],
    },
    {
      name: 'rejects values with Exists',
      cluster: refs([
        { name: 'x', selector: { matchExpressions: [{ key: 'app', operator: 'Exists', values: ['a'] }] } },
      ]),
      expect: 1,
    },
    {
      name: 'rejects an invalid label value',
      cluster: refs([{ name: 'x', selector: { matchLabels: { app: '-bad' } } }]),
      expect: 1,
    },
    {
      name: 'rejects a reference to an undefined selector',
      cluster: refs([app], ['host all all ${podselector:other} md5']),
      expect: [
        'spec.postgresql.pg_hba[0]: Invalid value: "host all all ${podselector:other} md5": pod selector not found: other',
      ],
    },
    {
      name: 'rejects a reference without selectors at all',
      cluster: refs(undefined, ['host all all ${podselector:app-pods} md5']),
      expect: 1,
    },
    {
      name: 'rejects a reference embedded in a field',
      cluster: refs([app], ['host all all x${podselector:app-pods} md5']),
      expect: 1,
    },
    {
      name: 'rejects two references in one rule',
      cluster: refs([app, monitoring], ['host all all ${podselector:app-pods} ${podselector:monitoring}']),
      expect: [
        'spec.postgresql.pg_hba[0]: Invalid value: "host all all ${podselector:app-pods} ${podselector:monitoring}": at most one podselector reference is allowed per line',
      ],
    },
    {
      name: 'rejects a descriptor type other than podselector',
      cluster: refs([app], ['host all all ${service:app-pods} md5']),
      expect: [
        'spec.postgresql.pg_hba[0]: Invalid value: "host all all ${service:app-pods} md5": unknown descriptor type: service',
      ],
    },
    {
      name: 'rejects an unterminated reference',
      cluster: refs([app], ['host all all ${podselector:app-pods md5']),
      expect: 1,
    },
  ]);
});

describe('validateExtensions', () => {
  type Extension = NonNullable<NonNullable<ClusterSpec['postgresql']>['extensions']>[number];
  const ext = (name: string, reference: string, extra: Partial<Extension> = {}): Extension => ({
    name,
    image: { reference },
    ...extra,
  });
  const extensions = (...list: Extension[]) =>
    cluster({ imageName: 'ghcr.io/cloudnative-pg/postgresql:18.6-minimal-trixie', postgresql: { extensions: list } });
  runCases(validateExtensions, [
    { name: 'accepts no extensions', cluster: cluster(), expect: [] },
    {
      name: 'accepts unique names',
      cluster: extensions(ext('ext-one', 'extOne'), ext('ext-two', 'extOne')),
      expect: [],
    },
    {
      name: 'rejects each duplicate name',
      cluster: extensions(
        ext('ext-one', 'extOne'),
        ext('ext-two', 'extOne'),
        ext('ext-two', 'extTwo:1'),
        ext('ext-one', 'extOne:1'),
      ),
      expect: [
        'spec.postgresql.extensions[2].name: Duplicate value: "ext-two"',
        'spec.postgresql.extensions[3].name: Duplicate value: "ext-one"',
      ],
    },
    {
      name: 'rejects empty path entries',
      cluster: extensions(
        ext('ext-one', 'extOne', {
          extension_control_path: ['/valid/path', ''],
          dynamic_library_path: ['', '/valid/lib/path'],
        }),
      ),
      expect: [
        'spec.postgresql.extensions[0].extension_control_path[1]: Invalid value: "": value cannot be empty',
        'spec.postgresql.extensions[0].dynamic_library_path[0]: Invalid value: "": value cannot be empty',
      ],
    },
    {
      name: 'accepts valid paths',
      cluster: extensions(
        ext('ext-one', 'extOne', {
          extension_control_path: ['/usr/share/postgresql/extension', '/opt/custom/extensions'],
          dynamic_library_path: ['/usr/lib/postgresql/lib', '/opt/custom/lib'],
          ld_library_path: ['system'],
          bin_path: ['bin'],
        }),
      ),
      expect: [],
    },
    {
      name: 'rejects duplicate control paths',
      cluster: extensions(
        ext('ext-one', 'extOne', {
          extension_control_path: [
            '/usr/share/postgresql/extension',
            '/opt/custom/extensions',
            '/usr/share/postgresql/extension',
          ],
        }),
      ),
      expect: [
        'spec.postgresql.extensions[0].extension_control_path[2]: Duplicate value: "/usr/share/postgresql/extension"',
      ],
    },
    {
      name: 'rejects duplicate library paths',
      cluster: extensions(
        ext('ext-one', 'extOne', {
          dynamic_library_path: ['/usr/lib/postgresql/lib', '/opt/custom/lib', '/usr/lib/postgresql/lib'],
        }),
      ),
      expect: ['spec.postgresql.extensions[0].dynamic_library_path[2]: Duplicate value: "/usr/lib/postgresql/lib"'],
    },
    {
      name: 'rejects duplicates in both lists',
      cluster: extensions(
        ext('ext-one', 'extOne', {
          extension_control_path: ['/usr/share/postgresql/extension', '/usr/share/postgresql/extension'],
          dynamic_library_path: ['/usr/lib/postgresql/lib', '/usr/lib/postgresql/lib'],
        }),
      ),
      expect: 2,
    },
    {
      name: 'rejects names colliding after sanitization',
      cluster: extensions(ext('pg_ivm', 'pg_ivm:latest'), ext('pg-ivm', 'pg-ivm:latest')),
      expect: [
        'spec.postgresql.extensions[1].name: Invalid value: "pg-ivm": extension name results in duplicate volume ' +
          'name "pg-ivm" after sanitization (underscores are converted to hyphens)',
      ],
    },
    {
      name: 'accepts names with underscores that do not collide',
      cluster: extensions(ext('pg_ivm', 'a'), ext('pg_stat', 'b')),
      expect: [],
    },
    {
      name: 'accepts mixed underscores and hyphens',
      cluster: extensions(ext('pg_foo-bar', 'a'), ext('pg-foo_baz', 'b')),
      expect: [],
    },
    {
      name: 'reports the third of three colliding names',
      cluster: extensions(ext('pgstat', 'a'), ext('pg_stat', 'b'), ext('pg-stat', 'c')),
      expect: 1,
    },
    {
      name: 'rejects a path escaping the image',
      cluster: extensions(ext('ext-one', 'a', { bin_path: ['../../usr/bin'] })),
      expect: [
        'spec.postgresql.extensions[0].bin_path[0]: Invalid value: "../../usr/bin": path must stay inside the extension image',
      ],
    },
    {
      name: 'rejects a missing image reference without an image catalog',
      cluster: extensions({ name: 'ext-one', image: {} }),
      expect: [
        'spec.postgresql.extensions[0].image.reference: Required value: an image reference is required without an image catalog',
      ],
    },
    {
      name: 'rejects reserved and path environment variables',
      cluster: extensions(
        ext('ext-one', 'a', {
          env: [
            { name: 'PGDATA', value: 'x' },
            { name: 'PATH', value: '${image_root}/bin' },
          ],
        }),
      ),
      expect: 2,
    },
    {
      name: 'rejects placeholders other than image_root',
      cluster: extensions(ext('ext-one', 'a', { env: [{ name: 'GDAL_DATA', value: '${HOME}/share' }] })),
      expect: [
        'spec.postgresql.extensions[0].env[0].value: Invalid value: "${HOME}/share": only the ${image_root} placeholder is allowed',
      ],
    },
    {
      name: 'rejects the same variable set by two extensions',
      cluster: extensions(
        ext('ext-one', 'a', { env: [{ name: 'GDAL_DATA', value: '${image_root}/share' }] }),
        ext('ext-two', 'b', { env: [{ name: 'GDAL_DATA', value: '${image_root}/share' }] }),
      ),
      expect: ['spec.postgresql.extensions[1].env[0].name: Duplicate value: "GDAL_DATA"'],
    },
    {
      name: 'accepts the upstream PostGIS sample',
      cluster: extensions(
        ext('postgis', 'ghcr.io/cloudnative-pg/postgis-extension:3.6.1-18-trixie', { ld_library_path: ['system'] }),
      ),
      expect: [],
    },
  ]);
});
