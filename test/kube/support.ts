// A real local API server for the kube/ suites: its own data directory and port, stopped and
// removed after the suite, whatever happens.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { loadKubeConfig } from '../../src/kube/client.ts';
import { type RunningApiServer, startApiServer } from '../../src/local/apiserver/server.ts';
import { componentLogger } from '../../src/log/logger.ts';

export interface TestApiServer {
  kc: KubeConfig;
  /** Stop the server, keeping its data; `start` brings it back on the same port with the same state. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestApiServer(): Promise<TestApiServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cnpg-kube-test-'));
  const start = (port?: number) =>
    startApiServer({
      dataDir,
      host: '127.0.0.1',
      ...(port !== undefined ? { port } : {}),
      logger: componentLogger('apiserver', {}, { level: 'error' }),
    });
  try {
    let server: RunningApiServer | undefined = await start(0);
    const port = new URL(server.url).port;
    return {
      kc: loadKubeConfig(server.kubeconfigPath),
      async pause() {
        await server?.stop();
        server = undefined;
      },
      async resume() {
        server = await start(Number(port));
      },
      async stop() {
        try {
          await server?.stop();
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** Poll `check` until it returns a value other than undefined, or fail after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
