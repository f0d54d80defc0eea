import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cluster } from '../../api/v1/cluster-types.ts';
import { DEFAULT_IMAGE_NAME } from '../../api/v1/image-version.ts';
import { defaultedCluster } from '../../api/v1/rule-cases.testkit.ts';
import { bootstrapJob } from './jobs.ts';
import { instancePod } from './pods.ts';
import {
  heldMajorChange,
  heldMajorChangeMessage,
  instanceImage,
  nextPgDataImageInfo,
  runningMajor,
} from './postgres-image.ts';

/** A cluster asking for `imageName` whose data directories run `running` (image, PG_VERSION major). */
const cluster = (imageName: string, running?: { image: string; majorVersion: number }): Cluster =>
  defaultedCluster({ imageName }, { uid: 'u1' }, running === undefined ? undefined : { pgDataImageInfo: running });

const PG15 = 'ghcr.io/cloudnative-pg/postgresql:15.8-system-bookworm';
const PG17 = 'ghcr.io/cloudnative-pg/postgresql:17.5-system-trixie';

describe('PostgreSQL image of the instances', () => {
  it('uses the spec image while the cluster is being created, and records it with its tag major', () => {
    const c = cluster(PG17);
    assert.equal(heldMajorChange(c), undefined);
    assert.equal(instanceImage(c), PG17);
    assert.equal(runningMajor(c), 17);
    assert.deepEqual(nextPgDataImageInfo(c, undefined), { image: PG17, majorVersion: 17 });
    // The first report of the data directory is what counts.
    assert.deepEqual(nextPgDataImageInfo(c, 15), { image: PG17, majorVersion: 15 });
  });

  it('holds back a spec image of another major: the pods and jobs keep the running image', () => {
    const c = cluster(PG17, { image: PG15, majorVersion: 15 });
    assert.deepEqual(heldMajorChange(c), {
      runningMajor: 15,
      runningImage: PG15,
      requestedMajor: 17,
      requestedImage: PG17,
    });
    assert.equal(instanceImage(c), PG15);
    assert.equal(instancePod(c, 2, { role: 'replica' }).spec?.containers[0]?.image, PG15);
    assert.equal(instancePod(c, 2, { role: 'replica' }).metadata?.labels?.['app.kubernetes.io/version'], '15');
    const join = bootstrapJob(c, 3, 'join', { primaryInstance: 'cluster-example-1' });
    assert.equal(join.spec?.template.spec?.containers[0]?.image, PG15);
    // Neither the image nor the major of the data directory follow the spec.
    assert.deepEqual(nextPgDataImageInfo(c, 15), { image: PG15, majorVersion: 15 });
    assert.equal(runningMajor(c), 15);
  });

  it('says why, naming both majors and the image that keeps running', () => {
    const held = heldMajorChange(cluster(PG17, { image: PG15, majorVersion: 15 }));
    assert.ok(held);
    assert.equal(
      heldMajorChangeMessage(held),
      `changing the PostgreSQL major version from 15 to 17 (spec.imageName ${PG17}) is not supported yet: ` +
        `the cluster keeps running PostgreSQL 15 with image ${PG15}; set spec.imageName back to an image of ` +
        'PostgreSQL 15 to clear this',
    );
  });

  it('rolls out an image of the running major (another minor or variant), which the record follows', () => {
    const minor = 'ghcr.io/cloudnative-pg/postgresql:15.10-minimal-bookworm';
    const c = cluster(minor, { image: PG15, majorVersion: 15 });
    assert.equal(heldMajorChange(c), undefined);
    assert.equal(instanceImage(c), minor);
    assert.deepEqual(nextPgDataImageInfo(c, 15), { image: minor, majorVersion: 15 });
  });

  describe('where the image tag and the data directory differ (the local runtime)', () => {
    // The default image (tag 18) made a PostgreSQL 15 data directory.
    const running = { image: DEFAULT_IMAGE_NAME, majorVersion: 15 };

    it('treats images of the running image tag major as the running major', () => {
      const minimal = 'ghcr.io/cloudnative-pg/postgresql:18.6-minimal-trixie';
      assert.equal(heldMajorChange(cluster(minimal, running)), undefined);
      assert.equal(instanceImage(cluster(minimal, running)), minimal);
    });

    it("treats images of the data directory's major as the running major", () => {
      assert.equal(heldMajorChange(cluster(PG15, running)), undefined);
    });

    it('holds back any other major, reported against the data directory', () => {
      const held = heldMajorChange(cluster(PG17, running));
      assert.equal(held?.runningMajor, 15);
      assert.equal(held?.requestedMajor, 17);
      assert.equal(instanceImage(cluster(PG17, running)), DEFAULT_IMAGE_NAME);
    });

    it('keeps the recorded major the data directory reported', () => {
      assert.deepEqual(nextPgDataImageInfo(cluster(DEFAULT_IMAGE_NAME, running), undefined), running);
      assert.deepEqual(nextPgDataImageInfo(cluster(DEFAULT_IMAGE_NAME, { ...running, majorVersion: 18 }), 15), running);
    });
  });
});
