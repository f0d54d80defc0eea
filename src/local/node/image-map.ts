// What a container image would provide, mapped to this machine. The local runtime pulls no image:
// a pod spec is the one the operator would send to Kubernetes, and this table says how its image
// and command become a local process.
//
//   in the pod spec                                  on this machine
//   command `/controller/manager` (the instance      `bin/cnpg` of this checkout
//     manager upstream's init container copies in)
//   command `/manager` (the operator image's binary) `bin/cnpg` of this checkout
//   image `.../postgresql:<major>...` (CNPG's, or    `/usr/lib/postgresql/<major>/bin` first on PATH;
//     the Docker library's `postgres:<major>`)         that major must be installed
//   an image of the default image's major (any      the newest installed major
//     variant, minor or distribution), or a
//     PostgreSQL image without a version tag
//   image `minio/minio`, `quay.io/minio/minio`       /usr/local/bin/minio (scripts/setup.sh builds
//     (any tag), command `minio server DIR...`         it); it listens on the pod's address and its
//                                                      directories are under the pod's root
//   any other image                                  nothing: the command must exist locally
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_IMAGE_NAME,
  imageMajorVersion,
  parseImageReference,
  parseVersionTag,
} from '../../api/v1/image-version.ts';

/** The `cnpg` executable of this checkout (bin/cnpg, a shell wrapper around the pinned Node). */
export const CNPG_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../../bin/cnpg');

/** Absolute paths an image (or upstream's bootstrap init container) provides that are our `cnpg`. */
export const MANAGER_PATHS: readonly string[] = ['/controller/manager', '/manager'];

/** Where scripts/setup.sh installs MinIO, which MinIO's images run (docs/object-store.md). */
export const MINIO_BIN = '/usr/local/bin/minio';

/** Where Debian's PostgreSQL packages install each major version. */
export const POSTGRES_LIB_ROOT = '/usr/lib/postgresql';

/** Repositories whose tag is a PostgreSQL version (CNPG's own images and the Docker library's). */
const POSTGRES_REPOSITORIES = [/\/cloudnative-pg\/postgresql(-[a-z0-9-]+)?$/, /^docker\.io\/library\/postgres$/];

export class ImageMapError extends Error {}

/** The major versions installed under `root`, newest first. */
export function installedPostgresMajors(root = POSTGRES_LIB_ROOT): number[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => /^\d+$/.test(d) && existsSync(join(root, d, 'bin', 'postgres')))
    .map(Number)
    .sort((a, b) => b - a);
}

/**
 * The major of the operator's default image. Every image of that major (the default, another
 * variant such as `-minimal-`, another minor or distribution) runs the newest installed major, so a
 * machine with an older PostgreSQL runs the samples as they are; `cnpg local up` says which.
 */
export const DEFAULT_IMAGE_MAJOR = imageMajorVersion(DEFAULT_IMAGE_NAME);

function newestInstalled(image: string, installed: number[], root: string): number {
  const newest = installed[0];
  if (newest === undefined) throw new ImageMapError(`image ${image}: no PostgreSQL is installed under ${root}`);
  return newest;
}

/** The installed major a PostgreSQL image runs; throws ImageMapError when it is not installed. */
function installedMajorForImage(image: string, installed: number[], root = POSTGRES_LIB_ROOT): number {
  let major: number;
  try {
    major = parseVersionTag(parseImageReference(image).tag).major;
  } catch {
    // An untagged or `latest` PostgreSQL image means "the newest", as the default image does.
    return newestInstalled(image, installed, root);
  }
  if (major === DEFAULT_IMAGE_MAJOR) return newestInstalled(image, installed, root);
  if (!installed.includes(major)) {
    const have = installed.length === 0 ? 'none' : installed.join(', ');
    throw new ImageMapError(
      `image ${image} needs PostgreSQL ${major}, which is not installed (${join(root, String(major), 'bin')} ` +
        `is missing; installed majors: ${have})`,
    );
  }
  return major;
}

/** MinIO's images, Docker Hub's and Quay's, whatever the tag. */
const MINIO_REPOSITORIES = [/^docker\.io\/minio\/minio$/, /^quay\.io\/minio\/minio$/];

export function isMinioImage(image: string | undefined): boolean {
  return image !== undefined && MINIO_REPOSITORIES.some((re) => re.test(parseImageReference(image).name));
}

/** Where a pod's process lives on this machine: its address, and its root for container paths. */
export interface PodPlace {
  podIP: string;
  hostPath(containerPath: string): string;
}

/** MinIO's own defaults in its image: API on 9000, and its certificates under root's home. */
const MINIO_API_PORT = '9000';
const MINIO_CONSOLE_PORT = '9001';
const MINIO_IMAGE_CERTS_DIR = '/root/.minio/certs';
/** `minio server` flags that take a value (the rest are booleans), and those whose value is a path. */
const MINIO_VALUE_FLAGS = new Set([
  'address',
  'console-address',
  'certs-dir',
  'S',
  'config-dir',
  'C',
  'config',
  'crossdomain-xml',
  'log-dir',
  'log-prefix',
  'interface',
  'memlimit',
  'ftp',
  'sftp',
  'conn-user-timeout',
  'dns-cache-ttl',
  'idle-timeout',
  'read-header-timeout',
  'shutdown-timeout',
  'listeners',
  'log-size',
  'max-idle-conns-per-host',
  'recv-buf-size',
  'send-buf-size',
]);
const MINIO_PATH_FLAGS = new Set(['certs-dir', 'S', 'config-dir', 'C', 'config', 'crossdomain-xml', 'log-dir']);
const MINIO_ADDRESS_FLAGS = new Set(['address', 'console-address']);

/** `host:port` or `:port` as the same port on the pod's address: a pod has one address here. */
function podAddress(flag: string, value: string, podIP: string): string {
  const colon = value.lastIndexOf(':');
  const port = colon < 0 ? '' : value.slice(colon + 1);
  if (!/^\d+$/.test(port)) throw new ImageMapError(`minio --${flag} ${value}: expected [HOST]:PORT`);
  return `${podIP}:${port}`;
}

/**
 * The command line of a container of a MinIO image, on this machine. The container's command must be
 * MinIO's (`minio`, `/usr/bin/minio`, the image's entrypoint) or absent (then `args` are MinIO's
 * arguments, as the image's entrypoint takes them). For `minio server`, addresses move to the pod's
 * address (`:9000` would take the port on every address of the machine), absolute paths go under the
 * pod's root as every container path does, and the defaults the image relies on are made explicit:
 * `--address :9000`, the console on 9001 (MinIO would pick a random port on every address) and
 * `--certs-dir /root/.minio/certs`. Throws ImageMapError for a command that is not MinIO's.
 */
export function minioCommandLine(
  image: string,
  command: string[],
  args: string[],
  pod: PodPlace,
  minioBin = MINIO_BIN,
): string[] {
  const [exe, ...rest] = command;
  if (exe !== undefined && !/(^|\/)(minio|docker-entrypoint\.sh)$/.test(exe)) {
    throw new ImageMapError(
      `image ${image}: command "${command.join(' ')}" cannot run locally: MinIO's images run here as ` +
        '`minio server DIR...` (command [minio, server, ...], or args [server, ...] with no command)',
    );
  }
  const argv = [...rest, ...args];
  if (argv[0] === 'minio') argv.shift();
  if (argv.length === 0) throw new ImageMapError(`image ${image}: no arguments: expected \`minio server DIR...\``);
  const out: string[] = [];
  const seen = new Set<string>();
  let server = false;
  let dirs = 0;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const flag = /^(--?)([A-Za-z][\w-]*)(=(.*))?$/.exec(arg);
    if (flag === null) {
      if (!server) {
        server = arg === 'server';
        out.push(arg);
      } else if (/^https?:\/\//.test(arg)) {
        throw new ImageMapError(`image ${image}: ${arg}: distributed MinIO (drives on other hosts) cannot run locally`);
      } else {
        dirs++;
        out.push(arg.startsWith('/') ? pod.hostPath(arg) : arg);
      }
      continue;
    }
    const name = flag[2] ?? '';
    if (!MINIO_VALUE_FLAGS.has(name)) {
      out.push(arg);
      continue;
    }
    let value = flag[4];
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new ImageMapError(`image ${image}: minio ${arg}: the flag needs a value`);
    }
    seen.add(name);
    if (MINIO_ADDRESS_FLAGS.has(name)) value = podAddress(name, value, pod.podIP);
    else if (MINIO_PATH_FLAGS.has(name) && value.startsWith('/')) value = pod.hostPath(value);
    out.push(`${flag[1]}${name}`, value);
  }
  if (!server) return [minioBin, ...out];
  if (dirs === 0) throw new ImageMapError(`image ${image}: minio server needs its data directory as an argument`);
  if (!seen.has('address')) out.push('--address', `${pod.podIP}:${MINIO_API_PORT}`);
  if (!seen.has('console-address')) out.push('--console-address', `${pod.podIP}:${MINIO_CONSOLE_PORT}`);
  if (!seen.has('certs-dir') && !seen.has('S') && !seen.has('config-dir') && !seen.has('C')) {
    out.push('--certs-dir', pod.hostPath(MINIO_IMAGE_CERTS_DIR));
  }
  return [minioBin, ...out];
}

/**
 * The local command line of a container: MinIO's images as minioCommandLine says, the instance
 * manager's paths as mapCommand says, anything else as it is. Throws ImageMapError.
 */
export function containerCommand(
  image: string | undefined,
  command: string[],
  args: string[],
  pod: PodPlace,
): string[] {
  if (image !== undefined && isMinioImage(image)) return minioCommandLine(image, command, args, pod);
  return mapCommand([...command, ...args]);
}

/** The PostgreSQL bin directory an image stands for, or undefined when it is not a PostgreSQL image. */
export function postgresBinForImage(image: string, installed: number[], root = POSTGRES_LIB_ROOT): string | undefined {
  const ref = parseImageReference(image);
  if (!POSTGRES_REPOSITORIES.some((re) => re.test(ref.name))) return undefined;
  return join(root, String(installedMajorForImage(image, installed, root)), 'bin');
}

/** One line for `cnpg local up`: the installed PostgreSQL that images of the default major run. */
export function defaultImageMapping(installed = installedPostgresMajors(), root = POSTGRES_LIB_ROOT): string {
  const newest = installed[0];
  if (newest === undefined) return `no PostgreSQL is installed under ${root}: PostgreSQL images cannot run here`;
  return `PostgreSQL images of major ${DEFAULT_IMAGE_MAJOR} run the installed PostgreSQL ${newest} on this machine`;
}

/** Directories to put first on a container's PATH for its image; throws ImageMapError when unavailable. */
export function imagePathPrefix(
  image: string | undefined,
  opts: { installed?: number[]; root?: string; minioBin?: string } = {},
): string[] {
  if (image === undefined) return [];
  if (isMinioImage(image)) {
    const bin = opts.minioBin ?? MINIO_BIN;
    if (!existsSync(bin))
      throw new ImageMapError(`image ${image}: MinIO is not installed at ${bin} (scripts/setup.sh builds it)`);
    return [];
  }
  const root = opts.root ?? POSTGRES_LIB_ROOT;
  const bin = postgresBinForImage(image, opts.installed ?? installedPostgresMajors(root), root);
  return bin === undefined ? [] : [bin];
}

/** A command line whose executable an image provides (the instance manager) mapped to ours. */
export function mapCommand(command: string[], cnpgBin = CNPG_BIN): string[] {
  const [exe, ...args] = command;
  return exe !== undefined && MANAGER_PATHS.includes(exe) ? [cnpgBin, ...args] : command;
}
