import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalQuantity,
  compareQuantities,
  isValidQuantity,
  parseQuantity,
  parseQuantityExact,
  QuantityError,
} from './quantity.ts';

describe('parseQuantity', () => {
  const cases: [string | number, number][] = [
    ['1Gi', 1024 ** 3],
    ['1.5Gi', 1.5 * 1024 ** 3],
    ['500m', 0.5],
    ['2e3', 2000],
    ['1E3', 1000],
    ['1e-3', 0.001],
    ['1k', 1000],
    ['10G', 10e9],
    ['1Ei', 2 ** 60],
    ['0', 0],
    ['-1', -1],
    ['+1M', 1e6],
    ['.5', 0.5],
    ['1.', 1],
    ['1.G', 1e9],
    [1, 1],
    [0.25, 0.25],
    ['0.1n', 1e-9],
    // apimachinery quirk: a bare suffix reads as zero (the CRD pattern rejects it earlier).
    ['Gi', 0],
  ];
  for (const [input, expected] of cases) {
    it(`parses ${JSON.stringify(input)}`, () => assert.equal(parseQuantity(input), expected));
  }

  const invalid = ['', '1 Gi', 'abc', '1Gb', '1kb', '1G1', '1e', '10Gibberish', '1Ki2', '1.2.3', '1K'];
  for (const input of invalid) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(() => parseQuantity(input), QuantityError);
      assert.equal(isValidQuantity(input), false);
    });
  }
});

describe('canonicalQuantity', () => {
  // Renderings as apimachinery's Quantity.String() gives them.
  const cases: [string | number, string][] = [
    ['1Gi', '1Gi'],
    ['1024Mi', '1Gi'],
    ['1.5Gi', '1536Mi'],
    ['8Gi', '8Gi'],
    ['1500Mi', '1500Mi'],
    ['0.5Ki', '512'],
    ['1000', '1k'],
    ['1.5G', '1500M'],
    ['0.5', '500m'],
    ['100m', '100m'],
    ['0.1m', '100u'],
    ['1e3', '1e3'],
    ['1.5e3', '1500'],
    ['1e-3', '1e-3'],
    ['10G', '10G'],
    ['1025', '1025'],
    ['0', '0'],
    ['00', '0'],
    ['+1G', '+1G'],
    ['01G', '01G'],
    ['1.0G', '1G'],
    [2048, '2048'],
  ];
  for (const [input, expected] of cases) {
    it(`renders ${JSON.stringify(input)} as ${expected}`, () => assert.equal(canonicalQuantity(input), expected));
  }
});

describe('compareQuantities', () => {
  it('orders values across suffixes', () => {
    assert.equal(compareQuantities('1G', '1Gi'), -1);
    assert.equal(compareQuantities('1024Mi', '1Gi'), 0);
    assert.equal(compareQuantities('2', '1500m'), 1);
    assert.equal(compareQuantities(parseQuantityExact('512M'), '1G'), -1);
  });

  it('keeps exact values beyond float precision', () => {
    assert.equal(compareQuantities('9007199254740993', '9007199254740992'), 1);
  });

  it('rounds sub-nano amounts up instead of to zero', () => {
    assert.equal(parseQuantityExact('0.0000000001').nanos, 1n);
  });
});
