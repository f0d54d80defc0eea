// The `cnpg validate` command as a user runs it: the real executable, its output and exit status.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cnpg } from './support/cli.ts';
import { PROJECT_ROOT, SAMPLES_DIR } from './support/samples.ts';

const dir = mkdtempSync(join(tmpdir(), 'cnpg-validate-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const cluster = (name: string, spec: string) =>
  `apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: ${name}\nspec:\n${spec}`;

describe('cnpg validate', () => {
  it('admits our own sample and prints the defaulted object with -o yaml', () => {
    const r = cnpg(['validate', '-f', join(PROJECT_ROOT, 'samples/cluster-example.yaml'), '-o', 'yaml']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Cluster\/cluster-example: valid$/m);
    assert.match(r.stdout, /imageName: ghcr\.io\/cloudnative-pg\/postgresql:18\.6-system-trixie/);
    assert.match(r.stdout, /dataDurability: required/);
    assert.match(r.stdout, /database: app/);
  });

  it('reports each document of a multi-document file, skipping other kinds', () => {
    const r = cnpg(['validate', '-f', join(SAMPLES_DIR, 'cluster-example-full.yaml')]);
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /^Secret\/[\w-]+: skipped/m);
    assert.match(r.stdout, /^Cluster\/cluster-example-full: valid$/m);
  });

  it('reads stdin with -f - and exits 1 with field paths on invalid documents', () => {
    const r = cnpg(['validate', '-f', '-'], cluster('bad', '  instances: 0\n  logLevel: loud\n'));
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^Cluster\/bad: invalid$/m);
    assert.match(
      r.stdout,
      /spec\.instances: Invalid value: 0: spec\.instances in body should be greater than or equal to 1/,
    );
    assert.match(r.stdout, /spec\.logLevel: Unsupported value: "loud"/);
  });

  it('exits 1 when one document of many is invalid', () => {
    const spec = '  instances: 1\n  storage:\n    size: 1Gi\n';
    const p = file('mixed.yaml', `${cluster('good', spec)}\n---\n${cluster('Bad_Name', spec)}`);
    const r = cnpg(['validate', '-f', p]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^Cluster\/good: valid$/m);
    assert.match(r.stdout, /^Cluster\/Bad_Name: invalid$/m);
    assert.match(r.stdout, /metadata\.name: Invalid value: "Bad_Name"/);
  });

  it('validates an update against --old', () => {
    const old = file('old.yaml', cluster('c', '  instances: 1\n  storage:\n    size: 2Gi\n'));
    const shrunk = file('new.yaml', cluster('c', '  instances: 1\n  storage:\n    size: 1Gi\n'));
    const grown = file('grown.yaml', cluster('c', '  instances: 1\n  storage:\n    size: 3Gi\n'));
    const bad = cnpg(['validate', '-f', shrunk, '--old', old]);
    assert.equal(bad.status, 1, bad.stdout);
    assert.match(bad.stdout, /spec\.storage: Invalid value: "1Gi": can't shrink existing storage from 2Gi to 1Gi/);
    const ok = cnpg(['validate', '-f', grown, '--old', old]);
    assert.equal(ok.status, 0, ok.stdout);
    assert.match(ok.stdout, /valid \(update\)/);
  });

  it('exits 2 with a clear message on unreadable input, never a stack trace', () => {
    const missing = cnpg(['validate', '-f', join(dir, 'nope.yaml')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nope\.yaml: cannot read: no such file/);
    const broken = cnpg(['validate', '-f', '-'], 'kind: Cluster\nspec: {instances: [1\n');
    assert.equal(broken.status, 2);
    assert.match(broken.stderr, /cannot parse YAML/);
    for (const r of [missing, broken]) assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('rejects unknown kinds of our group and missing apiVersion/kind', () => {
    const r = cnpg(
      ['validate', '-f', '-'],
      'apiVersion: postgresql.cnpg.io/v1\nkind: Clustr\nmetadata:\n  name: x\n---\nmetadata:\n  name: y\n',
    );
    assert.equal(r.status, 1);
    assert.match(r.stdout, /no matches for kind "Clustr" in version "postgresql\.cnpg\.io\/v1"/);
    assert.match(r.stdout, /document 2: invalid: apiVersion not set, kind not set/);
  });

  it('honours cnpg.io/validation: disabled with upstream warning', () => {
    const r = cnpg(
      ['validate', '-f', '-'],
      'apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: x\n  annotations:\n    cnpg.io/validation: disabled\nspec:\n  instances: 1\n  imageName: postgres:latest\n',
    );
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /warning: validation webhook is disabled/);
  });
});
