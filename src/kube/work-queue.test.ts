import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, type KeyHandler, WorkQueue } from './work-queue.ts';

/** Let pending promise callbacks run (setImmediate is not mocked by the tests below). */
const flush = async (rounds = 5) => {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

interface Gate {
  promise: Promise<void>;
  open: () => void;
}
function gate(): Gate {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** A handler that records calls and blocks each call until the test opens its gate. */
function blockingHandler() {
  const calls: string[] = [];
  const gates: Gate[] = [];
  let running = 0;
  let maxRunning = 0;
  const runningKeys = new Set<string>();
  let overlap = false;
  const handler: KeyHandler = async (key) => {
    if (runningKeys.has(key)) overlap = true;
    runningKeys.add(key);
    calls.push(key);
    running++;
    maxRunning = Math.max(maxRunning, running);
    const g = gate();
    gates.push(g);
    await g.promise;
    running--;
    runningKeys.delete(key);
  };
  return {
    handler,
    calls,
    gates,
    get maxRunning() {
      return maxRunning;
    },
    get overlap() {
      return overlap;
    },
  };
}

describe('backoffDelay', () => {
  const cases: [number, number][] = [
    [0, 5],
    [1, 10],
    [2, 20],
    [10, 5120],
    [17, 655_360],
    [18, 1_000_000],
    [5000, 1_000_000],
  ];
  for (const [failures, expected] of cases) {
    it(`failure ${failures} waits ${expected} ms`, () => assert.equal(backoffDelay(failures), expected));
  }
});

describe('WorkQueue', () => {
  it('deduplicates a key added several times while it waits', async () => {
    const h = blockingHandler();
    const q = new WorkQueue({ name: 't', handler: h.handler, maxConcurrent: 1 });
    q.add('busy');
    q.add('a');
    q.add('a');
    q.add('a');
    assert.equal(q.length, 1);
    h.gates[0]?.open();
    await flush();
    assert.deepEqual(h.calls, ['busy', 'a']);
    h.gates[1]?.open();
    await q.shutDown();
    assert.deepEqual(h.calls, ['busy', 'a']);
  });

  it('never runs one key on two workers and re-queues a key added while it runs', async () => {
    const h = blockingHandler();
    const q = new WorkQueue({ name: 't', handler: h.handler, maxConcurrent: 4 });
    q.add('a');
    await flush();
    q.add('a');
    q.add('a');
    await flush();
    assert.deepEqual(h.calls, ['a'], 'second pass waits for the first');
    h.gates[0]?.open();
    await flush();
    assert.deepEqual(h.calls, ['a', 'a'], 'exactly one more pass');
    h.gates[1]?.open();
    await flush();
    assert.equal(h.overlap, false);
    await q.shutDown();
    assert.deepEqual(h.calls, ['a', 'a']);
  });

  it('runs at most maxConcurrent keys at once', async () => {
    const h = blockingHandler();
    const q = new WorkQueue({ name: 't', handler: h.handler, maxConcurrent: 2 });
    for (const k of ['a', 'b', 'c', 'd', 'e']) q.add(k);
    await flush();
    assert.deepEqual(h.calls, ['a', 'b']);
    for (let i = 0; i < 5; i++) {
      h.gates[i]?.open();
      await flush();
    }
    assert.deepEqual(h.calls, ['a', 'b', 'c', 'd', 'e']);
    assert.equal(h.maxRunning, 2);
    await q.shutDown();
  });

  it('retries a failing key with growing back-off and resets it after a success', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const attempts: number[] = [];
    let failUntil = 3;
    const q = new WorkQueue({
      name: 't',
      backoff: { baseMs: 100, maxMs: 1000 },
      handler: async () => {
        attempts.push(Date.now());
        if (attempts.length <= failUntil) throw new Error('boom');
      },
    });
    q.add('k');
    await flush();
    assert.equal(attempts.length, 1);
    assert.equal(q.failures('k'), 1);
    t.mock.timers.tick(99);
    await flush();
    assert.equal(attempts.length, 1, 'not before 100 ms');
    t.mock.timers.tick(1);
    await flush();
    assert.equal(attempts.length, 2);
    t.mock.timers.tick(199);
    await flush();
    assert.equal(attempts.length, 2, 'second retry waits 200 ms');
    t.mock.timers.tick(1);
    await flush();
    assert.equal(attempts.length, 3);
    t.mock.timers.tick(400);
    await flush();
    assert.equal(attempts.length, 4, 'third retry after 400 ms, and it succeeds');
    assert.equal(q.failures('k'), 0, 'a success forgets the failures');
    failUntil = 5;
    q.add('k');
    await flush();
    assert.equal(attempts.length, 5);
    t.mock.timers.tick(100);
    await flush();
    assert.equal(attempts.length, 6, 'back-off starts again from the base delay');
    await q.shutDown();
  });

  it('caps the back-off', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    let attempts = 0;
    const q = new WorkQueue({
      name: 't',
      backoff: { baseMs: 100, maxMs: 250 },
      handler: async () => {
        attempts++;
        throw new Error('always');
      },
    });
    q.add('k');
    await flush();
    t.mock.timers.tick(100);
    await flush();
    t.mock.timers.tick(200);
    await flush();
    assert.equal(attempts, 3);
    t.mock.timers.tick(250);
    await flush();
    assert.equal(attempts, 4, 'the third retry waits the 250 ms cap, not 400 ms');
    await q.shutDown();
  });

  it('honours requeueAfterMs and keeps the earliest of two delays', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const calls: string[] = [];
    const q = new WorkQueue({
      name: 't',
      handler: async (key) => {
        calls.push(key);
        return calls.length === 1 ? { requeueAfterMs: 1000 } : undefined;
      },
    });
    q.add('k');
    await flush();
    assert.deepEqual(calls, ['k']);
    q.addAfter('k', 5000);
    q.addAfter('k', 300);
    t.mock.timers.tick(300);
    await flush();
    assert.deepEqual(calls, ['k', 'k'], 'the sooner delay wins over 1000 and 5000');
    t.mock.timers.tick(10_000);
    await flush();
    assert.deepEqual(calls, ['k', 'k'], 'no extra passes');
    await q.shutDown();
  });

  it('shutDown waits for running handlers and drops waiting keys', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const h = blockingHandler();
    const q = new WorkQueue({ name: 't', handler: h.handler, maxConcurrent: 1 });
    q.add('a');
    q.add('b');
    q.addAfter('c', 50);
    await flush();
    let stopped = false;
    const stopping = q.shutDown().then(() => {
      stopped = true;
    });
    await flush();
    assert.equal(stopped, false, 'still waiting for a');
    h.gates[0]?.open();
    await stopping;
    assert.equal(stopped, true);
    t.mock.timers.tick(100);
    q.add('d');
    await flush();
    assert.deepEqual(h.calls, ['a'], 'b, c and d are never handled');
  });
});
