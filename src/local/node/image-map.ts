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
  opts: { installed?: number[]; root?: string } = {},
): string[] {
  if (image === undefined) return [];
  const root = opts.root ?? POSTGRES_LIB_ROOT;
  const bin = postgresBinForImage(image, opts.installed ?? installedPostgresMajors(root), root);
  return bin === undefined ? [] : [bin];
}

/** A command line whose executable an image provides (the instance manager) mapped to ours. */
export function mapCommand(command: string[], cnpgBin = CNPG_BIN): string[] {
  const [exe, ...args] = command;
  return exe !== undefined && MANAGER_PATHS.includes(exe) ? [cnpgBin, ...args] : command;
}
