// One Service port: a TCP listener on the Service's address that forwards each connection to one
// of the current backends (round robin), and closes the connections of a backend that leaves, so
// clients reconnect and land on a pod that is still selected.
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Backend } from './endpoints.ts';

const backendKey = (b: Backend): string => `${b.pod}@${b.ip}:${b.port}`;

export class TcpForwarder {
  readonly host: string;
  readonly port: number;
  readonly #server: Server;
  #backends: Backend[] = [];
  #next = 0;
  /** Open connections (client and upstream sockets) by backend. */
  readonly #connections = new Map<string, Set<Socket>>();

  constructor(host: string, port: number) {
    this.host = host;
    this.port = port;
    this.#server = createServer({ noDelay: true }, (client) => this.#accept(client));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ host: this.host, port: this.port, exclusive: true }, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
  }

  get backends(): readonly Backend[] {
    return this.#backends;
  }

  /** Replaces the backends; connections to those no longer present are closed at once. */
  setBackends(backends: Backend[]): void {
    this.#backends = backends;
    const keep = new Set(backends.map(backendKey));
    for (const [key, sockets] of this.#connections) {
      if (keep.has(key)) continue;
      for (const s of sockets) s.destroy();
      this.#connections.delete(key);
    }
  }

  /** Open client connections per backend (for status and tests). */
  connectionCount(): number {
    let n = 0;
    for (const s of this.#connections.values()) n += s.size;
    return n / 2;
  }

  async close(): Promise<void> {
    for (const sockets of this.#connections.values()) for (const s of sockets) s.destroy();
    this.#connections.clear();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    const candidates = this.#backends;
    if (candidates.length === 0) {
      // No ready pod: refuse, as kube-proxy's REJECT rule does.
      client.resetAndDestroy();
      return;
    }
    const backend = candidates[this.#next++ % candidates.length] as Backend;
    const key = backendKey(backend);
    const upstream = connect({ host: backend.ip, port: backend.port, noDelay: true });
    let set = this.#connections.get(key);
    if (set === undefined) {
      set = new Set();
      this.#connections.set(key, set);
    }
    const tracked = set;
    tracked.add(client);
    tracked.add(upstream);
    const teardown = (): void => {
      tracked.delete(client);
      tracked.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', teardown);
    upstream.on('error', () => {
      // A half-closed client cannot be reset: libuv refuses, and Node then loses the handle
      // without closing it (the process never exits). Destroying it is enough then.
      if (client.destroyed || client.writableEnded) return teardown();
      client.resetAndDestroy();
      teardown();
    });
    client.on('close', teardown);
    upstream.on('close', teardown);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
