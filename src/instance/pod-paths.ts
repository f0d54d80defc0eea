// The local runtime's contract with a pod process (docs/local-runtime.md): a pod has no filesystem
// of its own, so the node agent gives it a root directory (CNPG_POD_ROOT) under which every
// container path (PGDATA, /controller, secret mounts) lives, and a loopback address of its own
// (CNPG_POD_IP) to bind instead of every address and to connect from. In a real pod neither is set and paths are used
// as they are.
import { isAbsolute, join, normalize } from 'node:path';

/** The directory container paths resolve under, or undefined in a real container. */
export function podRoot(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const root = env.CNPG_POD_ROOT;
  return root === undefined || root === '' ? undefined : root;
}

/** A path as the pod sees it (absolute container path) turned into the path on this machine. */
export function podPath(path: string, env: NodeJS.ProcessEnv = process.env): string {
  const root = podRoot(env);
  return root !== undefined && isAbsolute(path) ? join(root, normalize(path)) : path;
}

/** The address the pod's servers bind: its own loopback address, else every address (`*`). */
export function podListenAddress(env: NodeJS.ProcessEnv = process.env): string {
  return podSourceAddress(env) ?? '*';
}

/**
 * The address the pod's own connections leave from under the local runtime (its loopback address;
 * otherwise the host's 127.0.0.1 would be the source), or undefined in a real pod.
 */
export function podSourceAddress(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const ip = env.CNPG_POD_IP;
  return ip === undefined || ip === '' ? undefined : ip;
}
