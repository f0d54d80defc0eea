import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readBasicAuth, readSqlRefs } from './secrets.ts';

const root = mkdtempSync('/tmp/cnpg-secrets-test-');
after(() => rmSync(root, { recursive: true, force: true }));

function mount(dir: string, data: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [k, v] of Object.entries(data)) writeFileSync(join(dir, k), v);
}

test('a basic-auth secret is read from its mounted files', () => {
  mount(join(root, 'app'), { username: 'app\n', password: 'pw\n' });
  assert.deepEqual(readBasicAuth(join(root, 'app'), 'the application secret', '--app-secret-dir'), {
    username: 'app',
    password: 'pw\n',
  });
  assert.throws(() => readBasicAuth(undefined, 'the application secret', '--app-secret-dir'), /pass --app-secret-dir/);
  assert.throws(
    () => readBasicAuth(join(root, 'nope'), 'the application secret', '--app-secret-dir'),
    /nope\/username: no such file/,
  );
});

test('SQL references: secrets first, then configmaps, each from its root', () => {
  mount(join(root, 's', 'sec'), { a: 'A' });
  mount(join(root, 'c', 'cm'), { b: 'B' });
  const refs = { configMapRefs: [{ name: 'cm', key: 'b' }], secretRefs: [{ name: 'sec', key: 'a' }] };
  assert.deepEqual(
    readSqlRefs(refs, 'postInitSQLRefs', { secretsRoot: join(root, 's'), configMapsRoot: join(root, 'c') }),
    ['A', 'B'],
  );
  assert.deepEqual(readSqlRefs(undefined, 'postInitSQLRefs', {}), []);
  assert.throws(
    () => readSqlRefs(refs, 'postInitSQLRefs', { configMapsRoot: join(root, 'c') }),
    /postInitSQLRefs refers to Secret "sec", but --secrets-root is not set/,
  );
  assert.throws(
    () =>
      readSqlRefs({ secretRefs: [{ name: 'sec', key: 'zz' }] }, 'postInitSQLRefs', { secretsRoot: join(root, 's') }),
    /cannot read postInitSQLRefs \(Secret "sec", key "zz"\): .*sec\/zz: no such file/,
  );
});
