// Which PostgreSQL image the instances run, and what a change of `spec.imageName` to another major
// means while in-place major upgrades are not built: the instances keep the image of the major
// their data directories hold (status.pgDataImageInfo), and the Cluster says why.
//
// The running major is the data directory's (PG_VERSION, reported by the instances and recorded in
// `status.pgDataImageInfo.majorVersion`). An image is of the running major when its tag's major is
// that major, or is the tag's major of the image the data directory runs with
// (`status.pgDataImageInfo.image`). On Kubernetes both are the same number; the local runtime runs
// the default image's major on the newest installed PostgreSQL (docs/local-runtime.md), so there an
// image tagged 18 may hold a PostgreSQL 15 data directory, and an 18 or 15 image both run it.
import type { Cluster, ImageInfo } from '../../api/v1/cluster-types.ts';
import { DEFAULT_IMAGE_NAME, imageMajorVersion } from '../../api/v1/image-version.ts';

/** The image the spec asks for (the operator's default when none is set). */
function requestedImage(cluster: Cluster): string {
  return cluster.spec.imageName || DEFAULT_IMAGE_NAME;
}

function tagMajor(image: string): number | undefined {
  try {
    return imageMajorVersion(image);
  } catch {
    return undefined;
  }
}

/** A spec image of another major than the data directory's, which is not rolled out. */
export interface HeldMajorChange {
  runningMajor: number;
  runningImage: string;
  requestedMajor: number;
  requestedImage: string;
}

/** The spec's image when it is of another major than the running one; undefined otherwise. */
export function heldMajorChange(cluster: Cluster): HeldMajorChange | undefined {
  const running = cluster.status?.pgDataImageInfo;
  if (running === undefined) return undefined; // being created: the spec's image is the one
  const requested = requestedImage(cluster);
  if (requested === running.image) return undefined;
  const requestedMajor = tagMajor(requested);
  // Admission refuses tags without a version, so this is a Cluster stored behind its back: the
  // admission guard reports it; nothing here can say better.
  if (requestedMajor === undefined) return undefined;
  if (requestedMajor === running.majorVersion || requestedMajor === tagMajor(running.image)) return undefined;
  return {
    runningMajor: running.majorVersion,
    runningImage: running.image,
    requestedMajor,
    requestedImage: requested,
  };
}

/** The image of the instances' pods and Jobs: the spec's, unless that is of another major. */
export function instanceImage(cluster: Cluster): string {
  return heldMajorChange(cluster)?.runningImage ?? requestedImage(cluster);
}

/** The PostgreSQL major the cluster runs: the data directory's once recorded, else the spec image's. */
export function runningMajor(cluster: Cluster): number | undefined {
  return cluster.status?.pgDataImageInfo?.majorVersion ?? tagMajor(requestedImage(cluster));
}

/** Why the spec's image is not rolled out (the Cluster's phase reason and condition message). */
export function heldMajorChangeMessage(held: HeldMajorChange): string {
  return (
    `changing the PostgreSQL major version from ${held.runningMajor} to ${held.requestedMajor} ` +
    `(spec.imageName ${held.requestedImage}) is not supported yet: the cluster keeps running ` +
    `PostgreSQL ${held.runningMajor} with image ${held.runningImage}; set spec.imageName back to an image ` +
    `of PostgreSQL ${held.runningMajor} to clear this`
  );
}

/**
 * `status.pgDataImageInfo` after a pass: recorded when the cluster is created (the spec's image,
 * and its tag's major until an instance reports its data directory's); afterwards its major
 * follows only what the data directory reports, and its image follows the spec while the spec's
 * image is of the running major (a minor update or another variant), as upstream's.
 */
export function nextPgDataImageInfo(cluster: Cluster, reportedMajor: number | undefined): ImageInfo | undefined {
  const current = cluster.status?.pgDataImageInfo;
  const requested = requestedImage(cluster);
  if (current === undefined) {
    const majorVersion = reportedMajor ?? tagMajor(requested);
    return majorVersion === undefined ? undefined : { image: requested, majorVersion };
  }
  return {
    ...current,
    image: heldMajorChange(cluster) === undefined ? requested : current.image,
    majorVersion: reportedMajor ?? current.majorVersion,
  };
}
