import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InstanceError } from './errors.ts';
import { resolveInstanceOptions } from './options.ts';

const base = { pgdata: 'data', podName: 'pg-1', clusterFile: 'c.yaml' };

test('defaults are a pod’s: /controller, port 5432, status on 8000, every address', () => {
  const o = resolveInstanceOptions(base, '/bin/cnpg');
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
    [{ clusterFile: undefined }, /^missing --cluster-file$/],
    [{ pgPort: '70000' }, /^invalid --pg-port "70000": expected a port number between 1 and 65535$/],
    [{ statusPort: 'http' }, /^invalid --status-port "http"/],
  ];
  for (const [override, message] of cases) {
    assert.throws(
      () => resolveInstanceOptions({ ...base, ...override }, 'x'),
      (err: unknown) => {
        assert.ok(err instanceof InstanceError);
        assert.match(err.message, message);
        return true;
      },
    );
  }
});
