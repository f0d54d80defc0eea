// `cnpg local up -f cluster.yaml --wait` as a user runs it: the runtime starts in the background,
// the operator is installed from the manifests we ship and runs as a pod, the Cluster is followed
// through its phases until healthy, and the printed psql command line connects.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../support/samples.ts';

const CNPG = join(PROJECT_ROOT, 'bin/cnpg');

describe('cnpg local up with a Cluster', { timeout: 240_000 }, () => {
  let dir = '';
  const cnpg = (args: string[], timeoutMs: number) =>
    spawnSync(CNPG, [...args, '--data-dir', join(dir, 'data')], { encoding: 'utf8', timeout: timeoutMs });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cnpg-up-'));
    // Pods run as the unprivileged pod user when we are root: it must reach the data directory.
    chmodSync(dir, 0o755);
  });
  after(() => {
    if (dir === '') return;
    cnpg(['local', 'down', '--purge', '--timeout', '60s'], 90_000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('installs the operator, waits for the Cluster to be healthy and prints a working psql line', () => {
    const file = join(dir, 'cluster.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: postgresql.cnpg.io/v1',
        'kind: Cluster',
        'metadata:',
        '  name: up-example',
        'spec:',
        '  instances: 1',
        '  storage:',
        '    size: 1Gi',
        '',
      ].join('\n'),
    );
    const r = cnpg(['local', 'up', '-f', file, '--wait', '--timeout', '150s'], 180_000);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /operator: deployment\.apps\/cnpg-controller-manager in namespace cnpg-system created/);
    assert.match(r.stdout, /cluster\.postgresql\.cnpg\.io\/up-example: Setting up primary/);
    assert.match(r.stdout, /cluster\.postgresql\.cnpg\.io\/up-example: Cluster in healthy state/);
    const line = r.stdout.split('\n').find((l) => l.includes('psql -h '));
    assert.ok(line, r.stdout);
    const psql = spawnSync('sh', ['-c', `${line.trim()} -XAtc 'SELECT current_user, pg_is_in_recovery()'`], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(psql.status, 0, psql.stderr);
    assert.equal(psql.stdout.trim(), 'app|f');
  });
});
