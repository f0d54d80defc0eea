// A local runtime for one test file: its own data directory and API server port, quiet logs,
// a short restart back-off, and clean-up (pods stopped, directory removed) even on failure.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, BatchV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { componentLogger } from '../../src/log/logger.ts';
import { type LocalRuntime, startLocalRuntime } from '../../src/local/runtime.ts';

export interface TestRuntime {
  rt: LocalRuntime;
  dir: string;
  core: CoreV1Api;
  apps: AppsV1Api;
  batch: BatchV1Api;
  stop(): Promise<void>;
}

export async function startTestRuntime(): Promise<TestRuntime> {
  const dir = mkdtempSync(join(tmpdir(), 'cnpg-node-'));
  // Pods run as the unprivileged pod user when we are root: it must reach the data directory.
  chmodSync(dir, 0o755);
  let rt: LocalRuntime;
  try {
    rt = await startLocalRuntime({
      dataDir: dir,
      port: 0,
      backoff: { initialMs: 300, maxMs: 5000 },
      logger: (c) =>
        componentLogger(c, { dataDir: dir }, { level: process.env.CNPG_TEST_LOG === '1' ? 'info' : 'error' }),
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    rt,
    dir,
    core: rt.kubeConfig.makeApiClient(CoreV1Api),
    apps: rt.kubeConfig.makeApiClient(AppsV1Api),
    batch: rt.kubeConfig.makeApiClient(BatchV1Api),
    stop: async () => {
      try {
        await rt.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const isReady = (p: V1Pod): boolean =>
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** A pod spec running `script` with sh (the pod user can run it from anywhere). */
export function shellPod(
  name: string,
  script: string,
  extra: Partial<NonNullable<V1Pod['spec']>> = {},
  labels?: Record<string, string>,
): V1Pod {
  return {
    metadata: { name, ...(labels === undefined ? {} : { labels }) },
    spec: {
      terminationGracePeriodSeconds: 5,
      containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script] }],
      ...extra,
    },
  };
}

/** A pod serving HTTP on its own address and port 8080 (python's http.server), Ready by probe. */
export function httpPod(name: string, labels?: Record<string, string>): V1Pod {
  return {
    metadata: { name, ...(labels === undefined ? {} : { labels }) },
    spec: {
      terminationGracePeriodSeconds: 5,
      containers: [
        {
          name: 'web',
          image: 'python:3',
          command: ['python3', '-m', 'http.server', '8080', '--bind', '$(POD_IP)'],
          env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 },
        },
      ],
    },
  };
}
