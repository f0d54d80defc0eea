import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InstanceError } from './errors.ts';
import { resolveInstanceOptions } from './options.ts';

const base = { pgdata: 'data', podName: 'pg-1', clusterFile: 'c.yaml' };

test('defaults are a pod’s: /controller, port 5432, status on 8000, every address', () => {
  const o = resolveInstanceOptions(base, '/bin/cnpg', {});
  assert.equal(o.pgdata, `${process.cwd()}/data`);
  assert.deepEqual(
    [o.scratchDir, o.socketDir, o.pgPort, o.statusPort, o.listenAddress],
    ['/controller', '/controller/run', 5432, 8000, '*'],
  );
  assert.equal(o.namespace, 'default');
  assert.equal(o.managerCommand, '/bin/cnpg');
  assert.equal(resolveInstanceOptions({ ...base, scratchDir: '/s' }, 'x').socketDir, '/s/run');
  assert.equal(resolveInstanceOptions({ ...base, socketDir: '/sock' }, 'x').socketDir, '/sock');
});

test('missing or malformed options are refused with the flag to fix', () => {
  const cases: [Record<string, string | undefined>, RegExp][] = [
    [{ pgdata: undefined }, /^missing --pgdata \(or the PGDATA environment variable\)$/],
    [{ podName: '' }, /^missing --pod-name \(or the POD_NAME environment variable\)$/],
    [{ clusterFile: undefined }, /^missing --cluster-file, or --cluster-name \(or the CLUSTER_NAME environment/],
    [{ pgPort: '70000' }, /^invalid --pg-port "70000": expected a port number between 1 and 65535$/],
    [{ statusPort: 'http' }, /^invalid --status-port "http"/],
  ];
  for (const [override, message] of cases) {
    assert.throws(
      () => resolveInstanceOptions({ ...base, ...override }, 'x', {}),
      (err: unknown) => {
        assert.ok(err instanceof InstanceError);
        assert.match(err.message, message);
        return true;
      },
    );
  }
});

test('without a Cluster file, the Cluster comes from the API server: its name is needed', () => {
  const o = resolveInstanceOptions({ pgdata: 'd', podName: 'pg-1', clusterName: 'pg' }, 'x', {});
  assert.equal(o.clusterFile, undefined);
  assert.equal(o.clusterName, 'pg');
});

test('under the local runtime, container paths resolve under CNPG_POD_ROOT and CNPG_POD_IP is bound', () => {
  const env = { CNPG_POD_ROOT: '/data/pods/ns/pg-1', CNPG_POD_IP: '127.2.0.3', PGHOST: '/controller/run' };
  const o = resolveInstanceOptions(
    {
      pgdata: '/var/lib/postgresql/data/pgdata',
      podName: 'pg-1',
      clusterName: 'pg',
      superuserSecretDir: '/etc/superuser-secret',
      pgBinDir: '/usr/lib/postgresql/15/bin',
    },
    '/checkout/bin/cnpg',
    env,
  );
  assert.equal(o.pgdata, '/data/pods/ns/pg-1/var/lib/postgresql/data/pgdata');
  assert.equal(o.scratchDir, '/data/pods/ns/pg-1/controller');
  assert.equal(o.socketDir, '/data/pods/ns/pg-1/controller/run');
  assert.equal(o.superuserSecretDir, '/data/pods/ns/pg-1/etc/superuser-secret');
  assert.equal(o.pgBinDir, '/usr/lib/postgresql/15/bin');
  assert.equal(o.managerCommand, '/data/pods/ns/pg-1/controller/manager');
  assert.equal(o.listenAddress, '127.2.0.3');
  assert.equal(resolveInstanceOptions({ ...base, listenAddress: '*' }, 'x', env).listenAddress, '*');
});
