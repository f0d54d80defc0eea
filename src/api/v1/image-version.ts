// PostgreSQL image names and the version their tag carries, parsed the way upstream CloudNativePG
// does it (cloudnative-pg/machinery `image/reference` and `postgres/version`), so that the same
// imageName is accepted, rejected and mapped to the same major version.

/** The operator's default PostgreSQL image (operator config `POSTGRES_IMAGE_NAME`). */
export const DEFAULT_IMAGE_NAME = 'ghcr.io/cloudnative-pg/postgresql:18.6-system-trixie';

export interface ImageReference {
  /** Repository, normalized with the Docker Hub host (`docker.io/library/postgres`). */
  name: string;
  /** `latest` when the name has neither tag nor digest; empty for a digest-only reference. */
  tag: string;
  /** The sha256 hex digest, without the `sha256:` prefix. */
  digest: string;
}

const DIGEST_SUFFIX = /@sha256:([a-fA-F0-9]+)$/;
const TAG_SUFFIX = /:([^/]+)$/;
// A first path component that looks like a registry host: it has a dot or a port.
const REGISTRY_HOST = /^[^./:]+((\.[^./:]+)+(:[0-9]+)?|:[0-9]+)\//;

/** Splits an image name into repository, tag and digest; never fails, as upstream. */
export function parseImageReference(image: string): ImageReference {
  let rest = image;
  if (!rest.includes('/')) rest = `docker.io/library/${rest}`;
  else if (!REGISTRY_HOST.test(rest)) rest = `docker.io/${rest}`;

  let digest = '';
  const digestMatch = DIGEST_SUFFIX.exec(rest);
  if (digestMatch) {
    digest = digestMatch[1] ?? '';
    rest = rest.slice(0, rest.length - digestMatch[0].length);
  }

  let tag = '';
  const tagMatch = TAG_SUFFIX.exec(rest);
  if (tagMatch) {
    tag = tagMatch[1] ?? '';
    rest = rest.slice(0, rest.length - tagMatch[0].length);
  } else if (digest === '') {
    tag = 'latest';
  }

  return { name: rest, tag, digest };
}

export interface PostgresVersion {
  major: number;
  minor: number;
}

const LEADING_VERSION = /^(\d\.?)+/;

/**
 * Reads the PostgreSQL version at the start of an image tag: `18.6-system-trixie` is 18.6,
 * `15beta1` is 15.0, `13.3.2.1-1` is 13.3. Throws when the tag does not start with a version.
 */
export function parseVersionTag(tag: string): PostgresVersion {
  const match = LEADING_VERSION.exec(tag);
  if (!match) {
    throw new Error(`version not starting with a semantic version regex (${LEADING_VERSION.source}): ${tag}`);
  }
  const parts = match[0].split('.');
  const major = parseDecimal(parts[0] ?? '');
  if (major === undefined) throw new Error(`wrong PostgreSQL major in version ${match[0]}`);
  let minor = 0;
  if (parts.length > 1) {
    const parsed = parseDecimal(parts[1] ?? '');
    if (parsed === undefined || parsed >= 100) {
      throw new Error(`wrong PostgreSQL minor in version ${match[0]}`);
    }
    minor = parsed;
  }
  return { major, minor };
}

/** The PostgreSQL major version of an image, from its tag; throws as `parseVersionTag`. */
export function imageMajorVersion(image: string): number {
  return parseVersionTag(parseImageReference(image).tag).major;
}

/**
 * The major version a cluster runs: the catalog's major when an image catalog is referenced,
 * otherwise the image name's tag (the default image when none is set). Throws when the tag does
 * not parse, with upstream's wording.
 */
export function postgresMajorOfSpec(spec: {
  imageName?: string | undefined;
  imageCatalogRef?: { major: number } | undefined;
}): number {
  if (spec.imageCatalogRef) return spec.imageCatalogRef.major;
  const image = spec.imageName ? spec.imageName : DEFAULT_IMAGE_NAME;
  try {
    return imageMajorVersion(image);
  } catch (err) {
    const what = spec.imageName ? 'image name' : 'default image name';
    throw new Error(`cannot parse ${what} ${JSON.stringify(image)}: ${(err as Error).message}`);
  }
}

function parseDecimal(s: string): number | undefined {
  return /^\d+$/.test(s) ? Number.parseInt(s, 10) : undefined;
}
