import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_IMAGE_NAME } from '../../api/v1/image-version.ts';
import { CNPG_BIN, defaultImageMapping, ImageMapError, imagePathPrefix, mapCommand } from './image-map.ts';

describe('image map', () => {
  const installed = [17, 15];
  const cases: { image: string | undefined; want: string[] | RegExp }[] = [
    { image: 'ghcr.io/cloudnative-pg/postgresql:15.8', want: ['/usr/lib/postgresql/15/bin'] },
    { image: 'ghcr.io/cloudnative-pg/postgresql:17.2-standard-bookworm', want: ['/usr/lib/postgresql/17/bin'] },
    { image: 'ghcr.io/cloudnative-pg/postgresql:15@sha256:abcdef', want: ['/usr/lib/postgresql/15/bin'] },
    { image: 'postgres:15', want: ['/usr/lib/postgresql/15/bin'] },
    { image: DEFAULT_IMAGE_NAME, want: ['/usr/lib/postgresql/17/bin'] },
    // Every image of the default image's major (18) runs as the default does: the newest installed.
    { image: 'ghcr.io/cloudnative-pg/postgresql:18.6-minimal-trixie', want: ['/usr/lib/postgresql/17/bin'] },
    { image: 'ghcr.io/cloudnative-pg/postgresql:18.6-standard-trixie', want: ['/usr/lib/postgresql/17/bin'] },
    { image: 'ghcr.io/cloudnative-pg/postgresql:18.1-system-bookworm', want: ['/usr/lib/postgresql/17/bin'] },
    { image: 'ghcr.io/cloudnative-pg/postgresql:18', want: ['/usr/lib/postgresql/17/bin'] },
    { image: 'postgres:18.0', want: ['/usr/lib/postgresql/17/bin'] },
    { image: 'ghcr.io/cloudnative-pg/postgresql', want: ['/usr/lib/postgresql/17/bin'] },
    {
      image: 'ghcr.io/cloudnative-pg/postgresql:16.4',
      want: /needs PostgreSQL 16, which is not installed .*installed majors: 17, 15/,
    },
    { image: 'ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0', want: [] },
    { image: 'busybox', want: [] },
    { image: undefined, want: [] },
  ];
  for (const c of cases) {
    it(`maps ${c.image}`, () => {
      if (c.want instanceof RegExp) {
        assert.throws(
          () => imagePathPrefix(c.image, { installed }),
          (e: Error) => e instanceof ImageMapError && (c.want as RegExp).test(e.message),
        );
      } else {
        assert.deepEqual(imagePathPrefix(c.image, { installed }), c.want);
      }
    });
  }

  it('fails the default image when no PostgreSQL is installed', () => {
    assert.throws(() => imagePathPrefix(DEFAULT_IMAGE_NAME, { installed: [] }), /no PostgreSQL is installed/);
  });

  it('maps images of the default major to that major when it is installed', () => {
    assert.deepEqual(
      imagePathPrefix('ghcr.io/cloudnative-pg/postgresql:18.6-minimal-trixie', { installed: [18, 15] }),
      ['/usr/lib/postgresql/18/bin'],
    );
  });

  it('refuses another major that is not installed, whatever the default maps to', () => {
    assert.throws(
      () => imagePathPrefix('ghcr.io/cloudnative-pg/postgresql:17.5-minimal-trixie', { installed: [15] }),
      /needs PostgreSQL 17, which is not installed .*installed majors: 15/,
    );
  });

  it('says which installed major the default image runs', () => {
    assert.equal(
      defaultImageMapping([15]),
      'PostgreSQL images of major 18 run the installed PostgreSQL 15 on this machine',
    );
    assert.equal(
      defaultImageMapping([18, 15]),
      'PostgreSQL images of major 18 run the installed PostgreSQL 18 on this machine',
    );
    assert.match(defaultImageMapping([], '/nowhere'), /no PostgreSQL is installed under \/nowhere/);
  });

  it('maps the instance manager paths to bin/cnpg and leaves other commands alone', () => {
    assert.deepEqual(mapCommand(['/controller/manager', 'instance', 'run']), [CNPG_BIN, 'instance', 'run']);
    assert.deepEqual(mapCommand(['/manager', 'controller']), [CNPG_BIN, 'controller']);
    assert.deepEqual(mapCommand(['sh', '-c', 'true']), ['sh', '-c', 'true']);
    assert.deepEqual(mapCommand([]), []);
  });
});
