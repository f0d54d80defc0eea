// `cnpg local up/status/logs/down` as a user runs them: the real executable, a background
// runtime in a data directory of its own.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CNPG_BIN, DEFAULT_IMAGE_MAJOR, installedPostgresMajors } from '../../src/local/node/image-map.ts';
import { SAMPLES_DIR } from '../support/samples.ts';

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

function cnpg(args: string[]): Run {
  const r = spawnSync(CNPG_BIN, args, { encoding: 'utf8', timeout: 90_000 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: hello
spec:
  terminationGracePeriodSeconds: 3
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "echo hello from $HOSTNAME; exec sleep 1000"]
`;

// The API server refuses it (no containers); the other documents are still applied, as kubectl does.
const REFUSED_BY_SERVER = `apiVersion: v1
kind: Pod
metadata:
  name: empty
spec:
  containers: []
`;

const BROKEN_CLUSTER = `apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: broken
spec:
  instances: 3
  storage:
    size: 1Gi
  postgresql:
    parameters:
      wal_level: minimal
`;

describe('cnpg local', { timeout: 120_000 }, () => {
  const base = mkdtempSync(join(tmpdir(), 'cnpg-cli-'));
  chmodSync(base, 0o755);
  const dataDir = join(base, 'data');
  after(() => {
    // Whatever happened, nothing stays running.
    if (existsSync(dataDir)) cnpg(['local', 'down', '--data-dir', dataDir, '--timeout', '10s']);
    rmSync(base, { recursive: true, force: true });
  });

  it('rejects a file it cannot read before starting anything', () => {
    const r = cnpg(['local', 'up', '-f', join(base, 'missing.yaml'), '--data-dir', dataDir]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim(), `error: ${join(base, 'missing.yaml')}: cannot read: ENOENT`);
    assert.equal(existsSync(dataDir), false);
  });

  it('refuses a file with a document of our kinds that admission refuses, applying nothing of it', () => {
    // upstream's cluster-example-bis.yaml has a field the schema does not know: kubectl apply's
    // strict field validation and `cnpg validate` refuse it, so `up` does too.
    const file = join(base, 'refused.yaml');
    const bis = readFileSync(join(SAMPLES_DIR, 'cluster-example-bis.yaml'), 'utf8');
    writeFileSync(file, [POD, BROKEN_CLUSTER, bis].join('---\n'));
    const r = cnpg(['local', 'up', '-f', file, '--data-dir', dataDir]);
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 3, r.stderr);
    assert.ok(
      lines[0]?.startsWith(
        `error: ${file}: cluster.postgresql.cnpg.io/broken: Cluster.postgresql.cnpg.io "broken" is invalid: ` +
          '[spec.postgresql.parameters.wal_level: Invalid value: "minimal": ',
      ),
      r.stderr,
    );
    assert.deepEqual(lines.slice(1), [
      `error: ${file}: cluster.postgresql.cnpg.io/cluster-example: strict decoding error: ` +
        'unknown field "spec.backup.volumeSnapshot.groupSnapshot"',
      'error: nothing applied: 2 of 3 documents refused (see above)',
    ]);
    assert.equal(r.stdout, '');
    assert.equal(existsSync(dataDir), false);
    const validate = cnpg(['validate', '-f', file]);
    assert.match(validate.stdout, /unknown field "spec\.backup\.volumeSnapshot\.groupSnapshot"/);
  });

  it('starts, applies with admission errors shown, reuses, reports, shows logs and stops', () => {
    const file = join(base, 'app.yaml');
    writeFileSync(file, [POD, REFUSED_BY_SERVER].join('---\n'));
    const up = cnpg(['local', 'up', '-f', file, '--data-dir', dataDir]);
    assert.equal(up.status, 1, up.stderr);
    assert.match(up.stdout, /^local runtime started \(pid \d+, API server https:\/\/127\.0\.0\.1:\d+\)$/m);
    assert.match(up.stdout, /^pod\/hello created$/m);
    const runs = `run the installed PostgreSQL ${installedPostgresMajors()[0]} on this machine`;
    assert.match(up.stdout, new RegExp(`^PostgreSQL images of major ${DEFAULT_IMAGE_MAJOR} ${runs}$`, 'm'));
    assert.match(up.stdout, new RegExp(`export KUBECONFIG=${join(dataDir, 'kubeconfig')}`));
    const errors = up.stderr.trim().split('\n');
    assert.equal(errors.length, 1, up.stderr);
    assert.match(errors[0] ?? '', /^error: .*app\.yaml: pod\/empty: .*spec\.containers: Required value/);
    const pid = JSON.parse(readFileSync(join(dataDir, 'runtime.json'), 'utf8')).pid as number;

    const again = cnpg(['local', 'up', '--data-dir', dataDir, '--wait']);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`^local runtime already running \\(pid ${pid},`, 'm'));

    const podOnly = join(base, 'pod.yaml');
    writeFileSync(podOnly, POD);
    const wait = cnpg(['local', 'up', '-f', podOnly, '--data-dir', dataDir, '--wait', '--timeout', '30s']);
    assert.equal(wait.status, 0, wait.stderr);
    assert.match(wait.stdout, /^pod\/hello configured$/m);
    assert.match(wait.stdout, /^pod\/hello ready$/m);

    const status = cnpg(['local', 'status', '--data-dir', dataDir]);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /^default\s+hello\s+Running\s+1\/1\s+0\s+127\.10\.\d+\.\d+$/m);

    const logs = cnpg(['local', 'logs', 'hello', '--data-dir', dataDir]);
    assert.equal(logs.status, 0, logs.stderr);
    assert.equal(logs.stdout, 'hello from hello\n');
    const noPod = cnpg(['local', 'logs', 'nope', '--data-dir', dataDir]);
    assert.equal(noPod.status, 1);
    assert.equal(noPod.stderr.trim(), 'error: pod "nope" not found in namespace "default" of the local runtime');

    const down = cnpg(['local', 'down', '--purge', '--data-dir', dataDir]);
    assert.equal(down.status, 0, down.stderr);
    assert.match(down.stdout, new RegExp(`^local runtime stopped \\(pid ${pid}\\)$`, 'm'));
    assert.equal(existsSync(dataDir), false);
    assert.throws(() => process.kill(pid, 0), /ESRCH/);

    const st = cnpg(['local', 'status', '--data-dir', dataDir]);
    assert.equal(st.status, 1);
    assert.match(st.stdout, /not running/);
  });
});
