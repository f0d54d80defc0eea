import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPodAddress, LoopbackAllocator } from './loopback.ts';

describe('loopback allocator', () => {
  it('hands out distinct pod addresses, skipping reserved ones and not reusing a released one at once', () => {
    const a = new LoopbackAllocator();
    a.reserve('127.10.0.2');
    const first = a.allocate();
    const second = a.allocate();
    assert.equal(first, '127.10.0.1');
    assert.equal(second, '127.10.0.3');
    a.release(first);
    assert.equal(a.allocate(), '127.10.0.4');
    assert.ok(isPodAddress(second));
    assert.ok(!isPodAddress('127.0.0.1'));
  });

  it('never hands out .0 or .255 and crosses into the next /24', () => {
    const a = new LoopbackAllocator();
    const got = Array.from({ length: 300 }, () => a.allocate());
    assert.equal(new Set(got).size, 300);
    assert.ok(got.every((ip) => !/\.(0|255)$/.test(ip)));
    assert.ok(got.includes('127.10.1.1'));
  });
});
