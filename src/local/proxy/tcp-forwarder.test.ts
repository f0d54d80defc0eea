import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TcpForwarder } from './tcp-forwarder.ts';

/** A server on its own loopback address that greets with its name and echoes. */
async function namedServer(host: string, name: string): Promise<Server> {
  const s = createServer((c) => {
    c.write(`${name}\n`);
    c.pipe(c);
  });
  await new Promise<void>((r) => s.listen(7100, host, r));
  return s;
}

function greet(host: string, port: number): Promise<{ socket: Socket; name: string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('data', (b) => resolve({ socket, name: b.toString().trim(), closed }));
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed')));
  });
}

describe('tcp forwarder', () => {
  const servers: Server[] = [];
  let fwd: TcpForwarder;
  before(async () => {
    servers.push(await namedServer('127.30.0.1', 'a'), await namedServer('127.30.0.2', 'b'));
    fwd = new TcpForwarder('127.30.1.1', 7100);
    await fwd.listen();
  });
  after(async () => {
    await fwd.close();
    for (const s of servers) s.close();
  });

  it('refuses while there is no backend', async () => {
    await assert.rejects(greet('127.30.1.1', 7100));
  });

  it('spreads connections, relays data, and closes those of a backend that left', async () => {
    fwd.setBackends([
      { pod: 'ns/a', ip: '127.30.0.1', port: 7100 },
      { pod: 'ns/b', ip: '127.30.0.2', port: 7100 },
    ]);
    const c1 = await greet('127.30.1.1', 7100);
    const c2 = await greet('127.30.1.1', 7100);
    assert.deepEqual([c1.name, c2.name].sort(), ['a', 'b']);
    const echoed = new Promise<string>((r) => c1.socket.once('data', (b) => r(b.toString())));
    c1.socket.write('ping');
    assert.equal(await echoed, 'ping');
    assert.equal(fwd.connectionCount(), 2);

    const toA = c1.name === 'a' ? c1 : c2;
    const toB = c1.name === 'a' ? c2 : c1;
    fwd.setBackends([{ pod: 'ns/b', ip: '127.30.0.2', port: 7100 }]);
    await toA.closed;
    assert.equal(toB.socket.destroyed, false);
    const c3 = await greet('127.30.1.1', 7100);
    assert.equal(c3.name, 'b');
    for (const c of [toB, c3]) c.socket.destroy();
  });
});
