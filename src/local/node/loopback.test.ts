import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoopbackAllocator } from './loopback.ts';

describe('loopback allocator', () => {
  it('hands out distinct pod addresses of its block, skipping reserved ones and not reusing a released one at once', () => {
    const a = new LoopbackAllocator(7);
    a.reserve('127.10.7.2');
    const first = a.allocate();
    const second = a.allocate();
    assert.equal(first, '127.10.7.1');
    assert.equal(second, '127.10.7.3');
    a.release(first);
    assert.equal(a.allocate(), '127.10.7.4');
    assert.ok(a.owns(second));
    assert.ok(!a.owns('127.10.8.1'));
    assert.ok(!a.owns('127.0.0.1'));
  });

  it('never hands out .0 or .255 and says when the block is full', () => {
    const a = new LoopbackAllocator(0);
    const got = Array.from({ length: 254 }, () => a.allocate());
    assert.equal(new Set(got).size, 254);
    assert.ok(got.every((ip) => !/\.(0|255)$/.test(ip)));
    assert.throws(() => a.allocate(), /no free pod address left in 127\.10\.0\.0\/24/);
  });
});
