import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_IMAGE_NAME } from '../../api/v1/image-version.ts';
import {
  CNPG_BIN,
  containerCommand,
  defaultImageMapping,
  ImageMapError,
  imagePathPrefix,
  MINIO_BIN,
  mapCommand,
  minioCommandLine,
} from './image-map.ts';

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

describe('MinIO images', () => {
  const pod = { podIP: '127.10.0.9', hostPath: (p: string) => `/pods/default/minio-0${p}` };
  const bin = '/opt/minio';

  it('recognises Docker Hub and Quay images with any tag, and checks the binary is installed', () => {
    for (const image of ['minio/minio', 'minio/minio:RELEASE.2025-04-22T22-12-26Z', 'quay.io/minio/minio:latest']) {
      assert.deepEqual(imagePathPrefix(image, { minioBin: '/bin/sh' }), []);
      assert.throws(
        () => imagePathPrefix(image, { minioBin: '/nowhere/minio' }),
        (e: Error) => e instanceof ImageMapError && /MinIO is not installed at \/nowhere\/minio/.test(e.message),
      );
    }
    assert.deepEqual(imagePathPrefix('bitnami/minio', { minioBin: '/nowhere/minio' }), []);
  });

  it("binds the pod's address, puts paths under the pod's root and makes the image's defaults explicit", () => {
    assert.deepEqual(minioCommandLine('minio/minio', ['minio'], ['server', '/data', '--address', ':9000'], pod, bin), [
      bin,
      'server',
      '/pods/default/minio-0/data',
      '--address',
      '127.10.0.9:9000',
      '--console-address',
      '127.10.0.9:9001',
      '--certs-dir',
      '/pods/default/minio-0/root/.minio/certs',
    ]);
  });

  it('takes the args alone as the entrypoint does, and maps the flags given in either form', () => {
    assert.deepEqual(
      minioCommandLine(
        'quay.io/minio/minio',
        [],
        [
          'server',
          '--console-address=0.0.0.0:9090',
          '/export/a',
          'rel',
          '-S',
          '/certs',
          '--quiet',
          '--address',
          '127.0.0.1:9100',
        ],
        pod,
        bin,
      ),
      [
        bin,
        'server',
        '--console-address',
        '127.10.0.9:9090',
        '/pods/default/minio-0/export/a',
        'rel',
        '-S',
        '/pods/default/minio-0/certs',
        '--quiet',
        '--address',
        '127.10.0.9:9100',
      ],
    );
    assert.deepEqual(minioCommandLine('minio/minio', ['/usr/bin/minio', '--version'], [], pod, bin), [
      bin,
      '--version',
    ]);
  });

  it('refuses what cannot run here, naming it', () => {
    const refused = (command: string[], args: string[], want: RegExp) =>
      assert.throws(
        () => minioCommandLine('minio/minio', command, args, pod, bin),
        (e: Error) => e instanceof ImageMapError && want.test(e.message),
      );
    refused(['/bin/bash', '-c'], ['minio server /data'], /command "\/bin\/bash -c" cannot run locally/);
    refused(['minio'], ['server'], /needs its data directory as an argument/);
    refused([], ['server', 'http://minio-{1...4}/data'], /distributed MinIO .* cannot run locally/);
    refused([], ['server', '/data', '--address', 'nowhere'], /--address nowhere: expected \[HOST\]:PORT/);
    refused([], ['server', '/data', '--address'], /the flag needs a value/);
    refused([], [], /no arguments/);
  });

  it('leaves other images to mapCommand', () => {
    assert.deepEqual(containerCommand('busybox', ['/controller/manager'], ['x'], pod), [CNPG_BIN, 'x']);
    assert.equal(containerCommand('minio/minio', [], ['server', '/d'], pod)[0], MINIO_BIN);
  });
});
