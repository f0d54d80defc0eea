import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildConninfo, quoteConfValue, quoteConninfoValue, quoteIdentifier, quoteLiteral } from './quoting.ts';

test('SQL identifiers and literals', () => {
  assert.equal(quoteIdentifier('app'), '"app"');
  assert.equal(quoteIdentifier('we"ird'), '"we""ird"');
  assert.equal(quoteLiteral("it's"), "'it''s'");
  assert.equal(quoteLiteral('a\\b'), "E'a\\\\b'");
});

test('configuration values are single-quoted with doubled quotes', () => {
  assert.equal(quoteConfValue('5min'), "'5min'");
  assert.equal(quoteConfValue("a'b"), "'a''b'");
  assert.equal(quoteConfValue(''), "''");
});

test('conninfo values are quoted only when needed', () => {
  assert.equal(quoteConninfoValue('127.0.0.1'), '127.0.0.1');
  assert.equal(quoteConninfoValue(''), "''");
  assert.equal(quoteConninfoValue('a b'), "'a b'");
  assert.equal(quoteConninfoValue("o'k\\"), "'o\\'k\\\\'");
  assert.equal(
    buildConninfo({ host: 'h', port: 5432, user: undefined, application_name: 'pg 1' }),
    "host=h port=5432 application_name='pg 1'",
  );
});
