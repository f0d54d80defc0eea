import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareLsn, parseLsn } from './lsn.ts';

describe('LSNs', () => {
  it('parses both halves as hexadecimal', () => {
    assert.equal(parseLsn('0/0'), 0n);
    assert.equal(parseLsn('16/B374D848'), (0x16n << 32n) | 0xb374d848n);
    assert.equal(parseLsn('FFFFFFFF/FFFFFFFF'), 2n ** 64n - 1n);
  });

  it('rejects what is not an LSN', () => {
    for (const bad of ['', '0', '0/', '/0', 'G/0', '1/2/3', '123456789/0']) {
      assert.throws(() => parseLsn(bad), /not a PostgreSQL LSN/, bad);
    }
  });

  it('compares positions, not strings, and puts a missing LSN first', () => {
    assert.equal(compareLsn('0/A', '0/9'), 1);
    assert.equal(compareLsn('1/0', '0/FFFFFFFF'), 1);
    assert.equal(compareLsn('0/3000060', '0/3000060'), 0);
    assert.equal(compareLsn(undefined, '0/0'), -1);
    assert.equal(compareLsn('0/0', ''), 1);
  });
});
