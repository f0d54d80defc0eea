import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_IMAGE_NAME,
  imageMajorVersion,
  parseImageReference,
  parseVersionTag,
  postgresMajorOfSpec,
} from './image-version.ts';

const SHA = 'cff94de382ca538861622bbe84cfe03f44f307a9846a5c5eda672cf4dc692866';

describe('parseImageReference', () => {
  const cases: Array<[string, string, string, string]> = [
    ['postgres', 'docker.io/library/postgres', 'latest', ''],
    ['myimage/postgres', 'docker.io/myimage/postgres', 'latest', ''],
    ['localhost:5000/postgres', 'localhost:5000/postgres', 'latest', ''],
    ['registry.localhost:5000/postgres:14.4', 'registry.localhost:5000/postgres', '14.4', ''],
    ['ghcr.io/cloudnative-pg/postgresql:34', 'ghcr.io/cloudnative-pg/postgresql', '34', ''],
    ['postgres:34.3', 'docker.io/library/postgres', '34.3', ''],
    [`postgres:13@sha256:${SHA}`, 'docker.io/library/postgres', '13', SHA],
    [`postgres@sha256:${SHA}`, 'docker.io/library/postgres', '', SHA],
    [DEFAULT_IMAGE_NAME, 'ghcr.io/cloudnative-pg/postgresql', '18.6-system-trixie', ''],
  ];
  for (const [image, name, tag, digest] of cases) {
    it(image, () => assert.deepEqual(parseImageReference(image), { name, tag, digest }));
  }
});

describe('parseVersionTag', () => {
  const good: Array<[string, number, number]> = [
    ['10.3', 10, 3],
    ['12.3', 12, 3],
    ['10.2', 10, 2],
    ['15beta1', 15, 0],
    ['12.1', 12, 1],
    ['13.3.2.1-1', 13, 3],
    ['13.4', 13, 4],
    ['14', 14, 0],
    ['15.5-10', 15, 5],
    ['16.0', 16, 0],
    ['3.4.3.2.5', 3, 4],
    ['10.11.12', 10, 11],
    ['9.4_beautiful', 9, 4],
    ['11-1', 11, 0],
    ['18.6-system-trixie', 18, 6],
  ];
  for (const [tag, major, minor] of good) {
    it(`parses ${tag}`, () => assert.deepEqual(parseVersionTag(tag), { major, minor }));
  }
  for (const tag of ['', '10.five', '11.old', 'latest', 'v16', '16.100']) {
    it(`rejects ${JSON.stringify(tag)}`, () => assert.throws(() => parseVersionTag(tag)));
  }
});

describe('imageMajorVersion / postgresMajorOfSpec', () => {
  it('reads the major of an image', () => {
    assert.equal(imageMajorVersion(DEFAULT_IMAGE_NAME), 18);
    assert.equal(imageMajorVersion('postgres:13.4'), 13);
    assert.equal(imageMajorVersion('ghcr.io/cloudnative-pg/postgresql:16'), 16);
    assert.equal(imageMajorVersion(`postgres:17@sha256:${SHA}`), 17);
  });
  it('fails on latest and digest-only images', () => {
    assert.throws(() => imageMajorVersion('postgres:latest'));
    assert.throws(() => imageMajorVersion('postgres'));
    assert.throws(() => imageMajorVersion(`postgres@sha256:${SHA}`));
  });
  it('prefers the image catalog major, then the image, then the default image', () => {
    assert.equal(postgresMajorOfSpec({ imageName: 'postgres:14', imageCatalogRef: { major: 16 } }), 16);
    assert.equal(postgresMajorOfSpec({ imageName: 'postgres:14' }), 14);
    assert.equal(postgresMajorOfSpec({}), 18);
    assert.throws(() => postgresMajorOfSpec({ imageName: 'postgres:latest' }), /cannot parse image name/);
  });
});
