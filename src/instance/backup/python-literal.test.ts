import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { PyFloat, parsePyLiteral, pyRepr, PyTuple } from './python-literal.ts';

// The reference is Python itself: its repr() and ast.literal_eval().
const python = (script: string, input: string): string =>
  execFileSync('python3', ['-c', script], { input, encoding: 'utf8' });

const SAMPLES = [
  '',
  'plain',
  "it's",
  'say "hi"',
  `both ' and "`,
  'back\\slash',
  'START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\nCHECKPOINT LOCATION: 0/2000060\n',
  'tab\tcr\rbell\x07del\x7f',
  'caf\u00e9 \u2028 \u00a0 \u{1f600} \u200b',
];

describe('pyRepr', () => {
  it("writes strings as Python's repr() does", () => {
    const expected = JSON.parse(
      python('import json,sys; print(json.dumps([repr(s) for s in json.load(sys.stdin)]))', JSON.stringify(SAMPLES)),
    ) as string[];
    assert.deepEqual(
      SAMPLES.map((s) => pyRepr(s)),
      expected,
    );
  });

  it('writes tuples, lists, dicts, floats and None as Python does', () => {
    const value = [new PyTuple(['tbs', 16385, '/srv/tbs']), new PyTuple(['one'])];
    assert.equal(pyRepr(value), "[('tbs', 16385, '/srv/tbs'), ('one',)]");
    const stats = { total_time: new PyFloat(1.5), workers: 2, zero: new PyFloat(0), tiny: new PyFloat(1e-7), n: null };
    const text = pyRepr(stats);
    assert.equal(text, "{'total_time': 1.5, 'workers': 2, 'zero': 0.0, 'tiny': 1e-07, 'n': None}");
    assert.equal(python('import ast,sys; d=ast.literal_eval(sys.stdin.read()); print(repr(d))', text).trim(), text);
  });
});

describe('parsePyLiteral', () => {
  it("reads back Python's repr() of every sample", () => {
    const reprs = JSON.parse(
      python('import json,sys; print(json.dumps([repr(s) for s in json.load(sys.stdin)]))', JSON.stringify(SAMPLES)),
    ) as string[];
    assert.deepEqual(
      reprs.map((r) => parsePyLiteral(r)),
      SAMPLES,
    );
  });

  it('reads lists of tuples, dicts, numbers, booleans and None', () => {
    assert.deepEqual(parsePyLiteral("[('tbs', 16385, '/srv/tbs'), ('b', 2, \"/x'y\")]"), [
      ['tbs', 16385, '/srv/tbs'],
      ['b', 2, "/x'y"],
    ]);
    assert.deepEqual(parsePyLiteral("{'a': 1.5, 'b': {'c': [True, False, None]}, 'd': -2e-3}"), {
      a: 1.5,
      b: { c: [true, false, null] },
      d: -0.002,
    });
    assert.equal(parsePyLiteral("'\\x41\\u00e9\\101'"), 'A\u00e9A');
  });

  it('refuses what is not a literal, naming the offset', () => {
    assert.throws(() => parsePyLiteral("['a', os.system('x')]"), /invalid Python literal at offset 6/);
    assert.throws(() => parsePyLiteral("'unterminated"), /unterminated string/);
    assert.throws(() => parsePyLiteral('[1, 2] 3'), /trailing characters/);
  });
});
