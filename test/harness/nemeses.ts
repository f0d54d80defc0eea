// The harness's nemeses: each injects one fault into the cluster's primary and returns its undo.
// A nemesis that cannot run here (a missing command, no root for the network cut) says why, and
// the runner skips it with that reason: it never counts as passed. Undos that matter for the
// machine (continuing frozen processes, removing traffic filters) are also registered for a
// synchronous last-chance undo when the process exits, so a failed test leaves nothing frozen.
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { runningAsRoot } from '../../src/postgres/os-user.ts';
import { type HarnessCluster, processTree } from './cluster.ts';
import type { Workload } from './workload.ts';

export interface FaultContext {
  cluster: HarnessCluster;
  /** The primary when the fault is injected. */
  primary: string;
  workload: Workload;
}

/** Undoes a fault. */
export type Heal = () => Promise<void>;

export interface Nemesis {
  name: string;
  description: string;
  /** How long the fault lasts before its undo runs. */
  holdMs: number;
  /** Why this nemesis cannot run here; undefined when it can. */
  unavailable(cluster: HarnessCluster): Promise<string | undefined>;
  inject(ctx: FaultContext): Promise<Heal>;
}

export const DEFAULT_HOLD_MS = 8_000;

// ---------------------------------------------------------------------------------------------
// Last-chance undos

const pendingUndos = new Map<symbol, () => void>();
let exitHooked = false;

/** Runs every undo still pending (synchronously). Safe to call from after-hooks and exit handlers. */
export function healAllSync(): void {
  for (const [key, undo] of [...pendingUndos]) {
    pendingUndos.delete(key);
    try {
      undo();
    } catch {
      // Best effort: the others must still run.
    }
  }
}

function registerUndo(undo: () => void): symbol {
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', healAllSync);
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        healAllSync();
        process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
      });
    }
  }
  const key = Symbol('undo');
  pendingUndos.set(key, undo);
  return key;
}

/** Runs a registered undo once, now. */
function runUndo(key: symbol): void {
  const undo = pendingUndos.get(key);
  pendingUndos.delete(key);
  undo?.();
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

const always = async (): Promise<string | undefined> => undefined;
const nothingToUndo: Heal = async () => {};

// ---------------------------------------------------------------------------------------------
// Processes

/**
 * SIGSTOPs every process of `root`'s tree, parents first so nothing forks unseen, walking the
 * tree again until no new process shows up. Returns the undo, already registered.
 */
export function freezeTree(root: number): { pids: number[]; undo: () => void } {
  const pids: number[] = [];
  const undo = () => {
    for (const pid of [...pids].reverse()) signal(pid, 'SIGCONT');
    // Anything that appeared in the tree meanwhile (it cannot, frozen, but it costs nothing).
    for (const pid of processTree(root)) signal(pid, 'SIGCONT');
  };
  const key = registerUndo(undo);
  for (let round = 0; round < 10; round++) {
    const fresh = processTree(root).filter((p) => !pids.includes(p));
    if (fresh.length === 0) break;
    for (const pid of fresh) {
      pids.push(pid);
      signal(pid, 'SIGSTOP');
    }
  }
  return { pids, undo: () => runUndo(key) };
}

/** SIGSTOPs one process; returns its registered undo. */
export function freezeProcess(pid: number): () => void {
  const key = registerUndo(() => signal(pid, 'SIGCONT'));
  signal(pid, 'SIGSTOP');
  return () => runUndo(key);
}

function requirePid(pid: number | undefined, what: string): number {
  if (pid === undefined) throw new Error(`cannot inject the fault: no ${what}`);
  return pid;
}

export const killPostmaster = (): Nemesis => ({
  name: 'kill-postmaster',
  description: "kill -9 of the primary's postmaster (the instance manager starts it again)",
  holdMs: 0,
  unavailable: always,
  inject: async ({ cluster, primary }) => {
    signal(requirePid(cluster.postmasterPid(primary), `postmaster pid for ${primary}`), 'SIGKILL');
    return nothingToUndo;
  },
});

export const killManagerAndPostmaster = (): Nemesis => ({
  name: 'kill-manager-and-postmaster',
  description: "kill -9 of the primary's instance manager and postmaster together (the container restarts)",
  holdMs: 0,
  unavailable: always,
  inject: async ({ cluster, primary }) => {
    const manager = requirePid(cluster.managerPid(primary), `instance manager pid for ${primary}`);
    const postmaster = requirePid(cluster.postmasterPid(primary), `postmaster pid for ${primary}`);
    signal(manager, 'SIGKILL');
    signal(postmaster, 'SIGKILL');
    return nothingToUndo;
  },
});

export const freezePrimary = (holdMs = DEFAULT_HOLD_MS): Nemesis => ({
  name: 'freeze-primary',
  description: `SIGSTOP of every process of the primary's pod for ${holdMs / 1000} s, then SIGCONT`,
  holdMs,
  unavailable: always,
  inject: async ({ cluster, primary }) => {
    const { undo } = freezeTree(requirePid(cluster.managerPid(primary), `instance manager pid for ${primary}`));
    return async () => undo();
  },
});

export const deletePrimaryPod = (): Nemesis => ({
  name: 'delete-primary-pod',
  description: 'deletion of the primary pod (the operator recreates it on its PVC)',
  holdMs: 0,
  unavailable: always,
  inject: async ({ cluster, primary }) => {
    await cluster.env.core.deleteNamespacedPod({ name: primary, namespace: cluster.namespace });
    return nothingToUndo;
  },
});

/** `inner` with the operator stopped for at least `downMs` from just before the fault. */
export const withOperatorDown = (inner: Nemesis, downMs = DEFAULT_HOLD_MS): Nemesis => ({
  name: `${inner.name}+operator-down`,
  description: `${inner.description}, with the operator stopped for ${Math.max(inner.holdMs, downMs) / 1000} s`,
  holdMs: Math.max(inner.holdMs, downMs),
  unavailable: (c) => inner.unavailable(c),
  inject: async (ctx) => {
    await ctx.cluster.stopOperator();
    let healInner: Heal;
    try {
      healInner = await inner.inject(ctx);
    } catch (err) {
      await ctx.cluster.startOperator();
      throw err;
    }
    return async () => {
      try {
        await healInner();
      } finally {
        await ctx.cluster.startOperator();
      }
    };
  },
});

// ---------------------------------------------------------------------------------------------
// Switchover: the user-facing verb, `cnpg promote CLUSTER INSTANCE`

const CNPG = join(import.meta.dirname, '../../bin/cnpg');

function runCnpg(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(CNPG, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

export const switchover = (): Nemesis => ({
  name: 'switchover',
  description: 'a planned switchover to a streaming replica (`cnpg promote CLUSTER INSTANCE`)',
  holdMs: 0,
  unavailable: async () => {
    // Without arguments an existing verb only complains about them; a missing one is an unknown command.
    const r = await runCnpg(['promote']);
    return /unknown command/.test(r.stderr)
      ? `the switchover verb is not implemented yet (bin/cnpg: ${r.stderr.trim().split('\n')[0]})`
      : undefined;
  },
  inject: async ({ cluster, primary }) => {
    const replicas = (await cluster.pods()).filter((p) => p.name !== primary);
    let target: string | undefined;
    for (const p of replicas) {
      if ((await cluster.status(p.ip))?.isWalReceiverActive === true) {
        target = p.name;
        break;
      }
    }
    if (target === undefined) throw new Error('cannot switch over: no streaming replica');
    const r = await runCnpg([
      'promote',
      cluster.name,
      target,
      '-n',
      cluster.namespace,
      '--kubeconfig',
      cluster.env.runtime.rt.apiServer.kubeconfigPath,
    ]);
    if (r.code !== 0) throw new Error(`cnpg promote ${cluster.name} ${target} failed: ${r.stderr.trim()}`);
    return nothingToUndo;
  },
});

// ---------------------------------------------------------------------------------------------
// Network cut: every packet from or to the primary's pod address is dropped on the loopback
// device. The kernel here has neither iptables nor tc actions, but htb classes and the blackhole
// qdisc exist: an htb root on lo sends all traffic to a default class, and our u32 filters send
// the pod's packets to a class whose qdisc drops everything. Parallel runs share the htb root and
// each remove only their own filters (a priority of their own); the last one removes the root.
// The instance manager's own connections (API server, peers) leave from the pod's address under
// the local runtime, so the cut isolates it from them too. Limit: PostgreSQL's connections (a
// standby's WAL receiver) leave from 127.0.0.1; cutting a primary still cuts them, as they go to
// its address.

const TC_ROOT = 'cafe:';

function tc(args: string[]): string {
  return execFileSync('tc', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tcError(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr?.trim() || e.message || String(err)).split('\n')[0] ?? '';
}

function ensureTcRoot(): void {
  const show = tc(['qdisc', 'show', 'dev', 'lo']);
  if (show.includes(`htb ${TC_ROOT}`)) return;
  if (!/qdisc noqueue 0: root/.test(show)) {
    throw new Error(`lo has a root qdisc the harness did not make: ${show.trim().split('\n')[0]}`);
  }
  try {
    tc(['qdisc', 'add', 'dev', 'lo', 'root', 'handle', TC_ROOT, 'htb', 'default', '1']);
  } catch (err) {
    // A parallel run may have made it between our look and our add.
    if (tc(['qdisc', 'show', 'dev', 'lo']).includes(`htb ${TC_ROOT}`)) return;
    throw err;
  }
  const cls = (id: string) => ['class', 'add', 'dev', 'lo', 'parent', TC_ROOT, 'classid', `${TC_ROOT}${id}`, 'htb'];
  tc([...cls('1'), 'rate', '100gbit', 'quantum', '200000']);
  tc([...cls('2'), 'rate', '100gbit', 'quantum', '200000']);
  tc(['qdisc', 'add', 'dev', 'lo', 'parent', `${TC_ROOT}2`, 'handle', 'cafd:', 'blackhole']);
}

function removeTcRootIfUnused(): void {
  try {
    if (tc(['filter', 'show', 'dev', 'lo', 'parent', TC_ROOT]).trim() === '') {
      tc(['qdisc', 'del', 'dev', 'lo', 'root', 'handle', TC_ROOT]);
    }
  } catch {
    // Gone already (another run removed it).
  }
}

let prioCounter = 0;
/** A filter priority no other process uses at the same time (the pid spreads them). */
const nextPrio = () => 1 + ((process.pid * 16 + prioCounter++) % 65_000);

/** Drops every packet from or to `ip` on lo; returns the registered undo. */
export function cutAddress(ip: string): () => void {
  ensureTcRoot();
  const prio = String(nextPrio());
  const undo = () => {
    try {
      tc(['filter', 'del', 'dev', 'lo', 'parent', TC_ROOT, 'prio', prio]);
    } finally {
      removeTcRootIfUnused();
    }
  };
  const key = registerUndo(undo);
  try {
    for (const dir of ['src', 'dst']) {
      const filter = ['filter', 'add', 'dev', 'lo', 'parent', TC_ROOT, 'protocol', 'ip', 'prio', prio, 'u32'];
      tc([...filter, 'match', 'ip', dir, `${ip}/32`, 'flowid', `${TC_ROOT}2`]);
    }
  } catch (err) {
    runUndo(key);
    throw err;
  }
  return () => runUndo(key);
}

/** Why a pod's network cannot be cut here; undefined when it can. */
export function cutUnavailable(): string | undefined {
  if (!runningAsRoot()) return 'not running as root (tc needs it)';
  try {
    // 127.255.255.254 is no pod's: the probe drops nothing.
    cutAddress('127.255.255.254')();
    return undefined;
  } catch (err) {
    return `tc cannot drop loopback traffic here: ${tcError(err)}`;
  }
}

export const cutPrimaryNetwork = (holdMs = DEFAULT_HOLD_MS): Nemesis => ({
  name: 'network-partition',
  description: `every packet from or to the primary's address dropped for ${holdMs / 1000} s`,
  holdMs,
  unavailable: async () => cutUnavailable(),
  inject: async ({ cluster, primary }) => {
    const undo = cutAddress(await cluster.podIP(primary));
    return async () => undo();
  },
});

/** Every nemesis the harness knows, as the bench runs them. */
export function allNemeses(holdMs = DEFAULT_HOLD_MS): Nemesis[] {
  return [
    killPostmaster(),
    killManagerAndPostmaster(),
    freezePrimary(holdMs),
    deletePrimaryPod(),
    withOperatorDown(deletePrimaryPod(), holdMs),
    cutPrimaryNetwork(holdMs),
    switchover(),
  ];
}
