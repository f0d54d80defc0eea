import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rolePasswordSql, scramVerifier } from './credentials.ts';

test('a SCRAM-SHA-256 verifier in PostgreSQL stored form, salted', () => {
  const salt = Buffer.alloc(16, 7);
  const v = scramVerifier('pencil', salt);
  assert.match(v, /^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$/);
  assert.equal(scramVerifier('pencil', salt), v);
  assert.notEqual(scramVerifier('pencil'), scramVerifier('pencil'));
  assert.notEqual(scramVerifier('pencil2', salt), v);
});

test('ALTER ROLE never carries the password itself', () => {
  const sql = rolePasswordSql('app', 'secret-password');
  assert.match(sql, /^ALTER ROLE "?app"? WITH PASSWORD 'SCRAM-SHA-256\$4096:/);
  assert.equal(sql.includes('secret-password'), false);
  assert.equal(rolePasswordSql('postgres', null), 'ALTER ROLE "postgres" WITH PASSWORD NULL;\n');
});
