import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Secret } from '@kubernetes/client-node';
import { defaultedCluster } from '../../api/v1/rule-cases.testkit.ts';
import {
  buildApplicationSecret,
  buildCredentialsSecret,
  buildSuperuserSecret,
  generatePassword,
  jdbcUri,
  postgresUri,
  shouldCreateApplicationSecret,
} from './secrets.ts';

const decoded = (s: V1Secret | undefined) =>
  Object.fromEntries(Object.entries(s?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
const opts = { operatorVersion: '1.30.0' };

describe('generatePassword', () => {
  it('makes 64 characters: 10 digits, the rest letters', () => {
    for (let i = 0; i < 50; i++) {
      const p = generatePassword();
      assert.equal(p.length, 64);
      assert.equal(p.replace(/[^0-9]/g, '').length, 10);
      assert.match(p, /^[A-Za-z0-9]+$/);
    }
    assert.notEqual(generatePassword(), generatePassword());
  });
});

describe('connection strings (Go net/url encoding)', () => {
  const cases: [string, string, string, string, string, string][] = [
    [
      'h:5432',
      'app',
      'app',
      'pw',
      'postgresql://app:pw@h:5432/app',
      'jdbc:postgresql://h:5432/app?password=pw&user=app',
    ],
    [
      'h:5432',
      'my db',
      'a b@c',
      'p:w/?#',
      'postgresql://a%20b%40c:p%3Aw%2F%3F%23@h:5432/my%20db',
      'jdbc:postgresql://h:5432/my%20db?password=p%3Aw%2F%3F%23&user=a+b%40c',
    ],
    [
      'h:5432',
      '*',
      'postgres',
      'x$&+,;=',
      'postgresql://postgres:x$&+,;=@h:5432/*',
      'jdbc:postgresql://h:5432/*?password=x%24%26%2B%2C%3B%3D&user=postgres',
    ],
  ];
  for (const [host, db, user, password, uri, jdbc] of cases) {
    it(`encodes ${user}/${db}`, () => {
      assert.equal(postgresUri(host, db, user, password), uri);
      assert.equal(jdbcUri(host, db, user, password), jdbc);
    });
  }
});

describe('credential secrets', () => {
  it('carries every key upstream writes', () => {
    const secret = buildCredentialsSecret({
      name: 'cluster-example-app',
      namespace: 'default',
      hostname: 'cluster-example-rw',
      dbname: 'app',
      username: 'app',
      password: 'secret',
      userType: 'app',
    });
    assert.equal(secret.type, 'kubernetes.io/basic-auth');
    assert.deepEqual(secret.metadata.labels, {
      'cnpg.io/userType': 'app',
      'cnpg.io/reload': 'true',
      'app.kubernetes.io/managed-by': 'cloudnative-pg',
    });
    assert.deepEqual(decoded(secret), {
      username: 'app',
      user: 'app',
      password: 'secret',
      dbname: 'app',
      host: 'cluster-example-rw',
      port: '5432',
      pgpass: 'cluster-example-rw:5432:app:app:secret\n',
      uri: 'postgresql://app:secret@cluster-example-rw.default:5432/app',
      'jdbc-uri': 'jdbc:postgresql://cluster-example-rw.default:5432/app?password=secret&user=app',
      'fqdn-uri': 'postgresql://app:secret@cluster-example-rw.default.svc.cluster.local:5432/app',
      'fqdn-jdbc-uri':
        'jdbc:postgresql://cluster-example-rw.default.svc.cluster.local:5432/app?password=secret&user=app',
    });
  });

  it('builds <cluster>-app for the initdb owner, owned by the cluster', () => {
    const cluster = defaultedCluster({}, { uid: 'u1' });
    const secret = buildApplicationSecret(cluster, { ...opts, password: 'pw' });
    assert.equal(secret?.metadata?.name, 'cluster-example-app');
    assert.equal(secret?.metadata?.labels?.['cnpg.io/cluster'], 'cluster-example');
    assert.equal(secret?.metadata?.ownerReferences?.[0]?.uid, 'u1');
    assert.equal(decoded(secret).uri, 'postgresql://app:pw@cluster-example-rw.default:5432/app');
    assert.equal(decoded(buildApplicationSecret(cluster, opts)).password?.length, 64);
  });

  const appCases: [string, Parameters<typeof defaultedCluster>[0], boolean][] = [
    ['initdb default', {}, true],
    [
      'initdb with own secret',
      { bootstrap: { initdb: { database: 'app', owner: 'app', secret: { name: 'x' } } } },
      false,
    ],
    ['pg_basebackup', { bootstrap: { pg_basebackup: { source: 'o', database: 'app', owner: 'app' } } }, true],
    [
      'pg_basebackup in a replica cluster',
      {
        bootstrap: { pg_basebackup: { source: 'o', database: 'app', owner: 'app' } },
        replica: { enabled: true, source: 'o' },
      },
      false,
    ],
    ['recovery', { bootstrap: { recovery: { source: 'o', database: 'app', owner: 'app' } } }, true],
  ];
  for (const [name, spec, expected] of appCases) {
    it(`${expected ? 'generates' : 'does not generate'} the app secret for ${name}`, () => {
      const cluster = defaultedCluster(spec, { uid: 'u1' });
      assert.equal(shouldCreateApplicationSecret(cluster), expected);
      assert.equal(buildApplicationSecret(cluster, opts) !== undefined, expected);
    });
  }

  it('builds <cluster>-superuser only with superuser access and no user secret', () => {
    assert.equal(buildSuperuserSecret(defaultedCluster({}, { uid: 'u' }), opts), undefined);
    const on = defaultedCluster({ enableSuperuserAccess: true }, { uid: 'u' });
    const secret = buildSuperuserSecret(on, { ...opts, password: 'pw' });
    assert.equal(secret?.metadata?.name, 'cluster-example-superuser');
    assert.equal(secret?.metadata?.labels?.['cnpg.io/userType'], 'superuser');
    const data = decoded(secret);
    assert.equal(data.username, 'postgres');
    assert.equal(data.dbname, '*');
    assert.equal(data.pgpass, 'cluster-example-rw:5432:*:postgres:pw\n');
    assert.equal(data.uri, 'postgresql://postgres:pw@cluster-example-rw.default:5432/*');
    const own = defaultedCluster({ enableSuperuserAccess: true, superuserSecret: { name: 'mine' } }, { uid: 'u' });
    assert.equal(buildSuperuserSecret(own, opts), undefined);
  });
});
