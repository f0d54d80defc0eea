// Bad input to the instance manager: one clear `error:` line on stderr, a non-zero exit, and
// nothing half-made left behind. Only the interrupted init starts PostgreSQL tools.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  cnpgSync,
  instanceArgs,
  layout,
  ManagerProcess,
  makeSandbox,
  POD_USER,
  testCluster,
  waitFor,
  writeClusterFile,
  writeMountedObject,
} from './support.ts';

const sandbox = makeSandbox('bad-input');
after(() => sandbox.dispose());

function expectOneErrorLine(r: { status: number; stderr: string }, pattern: RegExp): void {
  assert.notEqual(r.status, 0);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0] ?? '', /^error: /);
  assert.match(lines[0] ?? '', pattern);
}

interface Case {
  name: string;
  prepare: (dir: string) => string[];
  expected: RegExp;
  leavesNoDataDirectory?: boolean;
}

const cases: Case[] = [
  {
    name: 'a missing secret file',
    prepare: (dir) => {
      writeClusterFile(join(dir, 'cluster.yaml'), testCluster());
      writeMountedObject(join(dir, 'app'), { username: 'app' });
      const l = layout(sandbox, `${dir.split('/').pop()}-i`, '127.0.43.1');
      return [
        'instance',
        'init',
        ...instanceArgs(l, join(dir, 'cluster.yaml'), ['--app-secret-dir', join(dir, 'app')]),
      ];
    },
    expected: /cannot read the application secret: .*\/app\/password: no such file/,
    leavesNoDataDirectory: true,
  },
  {
    name: 'a bad parameter name',
    prepare: (dir) => {
      writeClusterFile(
        join(dir, 'cluster.yaml'),
        testCluster({ spec: { postgresql: { parameters: { 'work-mem': '4MB' } } } }),
      );
      const l = layout(sandbox, `${dir.split('/').pop()}-i`, '127.0.43.1');
      return ['instance', 'init', ...instanceArgs(l, join(dir, 'cluster.yaml'))];
    },
    expected:
      /invalid Cluster in .*: spec\.postgresql\.parameters\.work-mem: Invalid value: "work-mem": Invalid PostgreSQL configuration parameter name/,
    leavesNoDataDirectory: true,
  },
  {
    // The image's tag passes admission (PostgreSQL 18); the PostgreSQL installed here is older.
    name: 'an initdb option newer than the PostgreSQL that runs',
    prepare: (dir) => {
      writeClusterFile(
        join(dir, 'cluster.yaml'),
        testCluster({
          spec: { bootstrap: { initdb: { localeProvider: 'icu', icuLocale: 'en', icuRules: '&a < b' } } },
        }),
      );
      const l = layout(sandbox, `${dir.split('/').pop()}-i`, '127.0.43.1');
      return ['instance', 'init', ...instanceArgs(l, join(dir, 'cluster.yaml'))];
    },
    expected: /bootstrap\.initdb\.icuRules requires PostgreSQL 16 or newer, and this instance runs PostgreSQL 15\.\d+/,
    leavesNoDataDirectory: true,
  },
  {
    name: 'a fixed parameter',
    prepare: (dir) => {
      writeClusterFile(
        join(dir, 'cluster.yaml'),
        testCluster({ spec: { postgresql: { parameters: { port: '6000' } } } }),
      );
      const l = layout(sandbox, `${dir.split('/').pop()}-i`, '127.0.43.1');
      return ['instance', 'run', ...instanceArgs(l, join(dir, 'cluster.yaml'))];
    },
    expected: /parameters.port: Invalid value: "6000": Can't set fixed configuration parameter/,
  },
  {
    name: 'an unreadable data directory',
    prepare: (dir) => {
      writeClusterFile(join(dir, 'cluster.yaml'), testCluster());
      const l = layout(sandbox, `${dir.split('/').pop()}-i`, '127.0.43.1');
      mkdirSync(l.pgdata, { recursive: true });
      writeFileSync(join(l.pgdata, 'PG_VERSION'), '15\n');
      if (POD_USER) chownSync(l.pgdata, POD_USER.uid, POD_USER.gid);
      chmodSync(l.pgdata, 0o000);
      return ['instance', 'run', ...instanceArgs(l, join(dir, 'cluster.yaml'))];
    },
    expected: /the data directory .*pgdata is unreadable: permission denied/,
  },
  {
    name: 'a non-empty target for join',
    prepare: (dir) => {
      writeClusterFile(join(dir, 'cluster.yaml'), testCluster());
      const l = layout(sandbox, `${dir.split('/').pop()}-i`, '127.0.43.1');
      mkdirSync(l.pgdata, { recursive: true });
      writeFileSync(join(l.pgdata, 'precious.txt'), 'keep me');
      return ['instance', 'join', ...instanceArgs(l, join(dir, 'cluster.yaml'), ['--primary-host', '127.0.43.9'])];
    },
    expected: /refusing to join the cluster: the data directory .*pgdata is not empty \(1 entries\)/,
  },
  {
    name: 'a missing Cluster file',
    prepare: (dir) => {
      const l = layout(sandbox, `${dir.split('/').pop()}-i`, '127.0.43.1');
      return ['instance', 'run', ...instanceArgs(l, join(dir, 'nope.yaml'))];
    },
    expected: /cannot read the Cluster file .*nope\.yaml: no such file/,
  },
  {
    name: 'a missing data directory flag',
    prepare: (dir) => {
      writeClusterFile(join(dir, 'cluster.yaml'), testCluster());
      return ['instance', 'run', '--pod-name', 'x', '--cluster-file', join(dir, 'cluster.yaml')];
    },
    expected: /missing --pgdata \(or the PGDATA environment variable\)/,
  },
];

for (const c of cases) {
  test(`bad input: ${c.name}`, () => {
    const dir = join(sandbox.root, c.name.replaceAll(' ', '-'));
    mkdirSync(dir, { recursive: true });
    const args = c.prepare(dir);
    const r = cnpgSync(args);
    expectOneErrorLine(r, c.expected);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    if (c.leavesNoDataDirectory) {
      const pgdata = args[args.indexOf('--pgdata') + 1] ?? '';
      assert.equal(existsSync(pgdata), false, `${pgdata} was created`);
    }
  });
}

test('an interrupted init leaves nothing a later start takes for a data directory', async () => {
  const dir = join(sandbox.root, 'interrupted');
  mkdirSync(dir, { recursive: true });
  writeClusterFile(join(dir, 'cluster.yaml'), testCluster());
  writeMountedObject(join(dir, 'app'), { username: 'app', password: 'pw' });
  const l = layout(sandbox, 'interrupted-i', '127.0.43.2');
  const args = instanceArgs(l, join(dir, 'cluster.yaml'), ['--app-secret-dir', join(dir, 'app')]);
  const parent = join(l.pgdata, '..');
  const init = new ManagerProcess(['instance', 'init', ...args]);
  sandbox.track(init);
  await init.waitForLog('initdb to start', (line) => line.msg === 'running initdb');
  await waitFor('the work directory', () =>
    readdirSync(parent).some((e) => e.startsWith('.pgdata.building-')) ? true : undefined,
  );
  await init.kill();
  assert.equal(existsSync(l.pgdata), false);
  expectOneErrorLine(cnpgSync(['instance', 'run', ...args]), /the data directory .*pgdata does not exist/);
  const retry = cnpgSync(['instance', 'init', ...args]);
  assert.equal(retry.status, 0, retry.stderr);
  assert.deepEqual(readdirSync(parent), ['pgdata']);
});
