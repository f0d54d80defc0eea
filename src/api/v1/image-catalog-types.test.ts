import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  catalogComponentImage,
  catalogImageForMajor,
  ClusterImageCatalogSchema,
  type ImageCatalog,
  ImageCatalogSchema,
  type ImageCatalogSpec,
  ImageCatalogSpecSchema,
} from './image-catalog-types.ts';
import { celChecks } from './schema-kit.ts';
import { type SchemaNode, validateWithDefaults } from './schema-validate.ts';

const catalog = (spec: ImageCatalogSpec, kind = 'ImageCatalog'): ImageCatalog => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind,
  metadata: { name: 'catalog' },
  spec,
});

const image = (major: number) => ({ image: `ghcr.io/cloudnative-pg/postgresql:${major}`, major });

const schemaErrors = (s: unknown, obj: unknown) => validateWithDefaults(s as SchemaNode, obj).map(String);

describe('ImageCatalog and ClusterImageCatalog schemas', () => {
  const cases: { name: string; spec: ImageCatalogSpec; errors: string[] }[] = [
    { name: 'two majors', spec: { images: [image(16), image(15)] }, errors: [] },
    {
      name: 'component images',
      spec: {
        images: [image(18)],
        componentImages: [{ key: 'pgbouncer', image: 'ghcr.io/cloudnative-pg/pgbouncer:1.25.1' }],
      },
      errors: [],
    },
    {
      name: 'an extension',
      spec: {
        images: [
          {
            ...image(18),
            extensions: [{ name: 'postgis', image: { reference: 'ghcr.io/cloudnative-pg/postgis-extension:3.6.1' } }],
          },
        ],
      },
      errors: [],
    },
    {
      name: 'no image',
      spec: { images: [] },
      errors: ['spec.images: Invalid value: 0: spec.images in body should have at least 1 items'],
    },
    {
      name: 'nine images',
      spec: { images: [10, 11, 12, 13, 14, 15, 16, 17, 18].map(image) },
      errors: ['spec.images: Too many: 9: must have at most 8 items'],
    },
    {
      name: 'a duplicate major',
      spec: { images: [image(16), image(16)] },
      errors: ['spec.images: Invalid value: "array": Images must have unique major versions'],
    },
    {
      name: 'a major below 10',
      spec: { images: [image(9)] },
      errors: [
        'spec.images[0].major: Invalid value: 9: spec.images[0].major in body should be greater than or equal to 10',
      ],
    },
    {
      name: 'a duplicate component key',
      spec: {
        images: [image(18)],
        componentImages: [
          { key: 'pgbouncer', image: 'a' },
          { key: 'pgbouncer', image: 'b' },
        ],
      },
      errors: ['spec.componentImages[1]: Duplicate value: {"key":"pgbouncer"}'],
    },
    {
      name: 'a component key that is not a DNS label',
      spec: { images: [image(18)], componentImages: [{ key: 'PgBouncer', image: 'a' }] },
      errors: [
        'spec.componentImages[0].key: Invalid value: "PgBouncer": spec.componentImages[0].key in body should match \'^[a-z0-9]([-a-z0-9]*[a-z0-9])?$\'',
      ],
    },
    {
      name: '33 component images',
      spec: {
        images: [image(18)],
        componentImages: Array.from({ length: 33 }, (_, i) => ({ key: `c${i}`, image: 'x' })),
      },
      errors: ['spec.componentImages: Too many: 33: must have at most 32 items'],
    },
  ];
  for (const c of cases) {
    it(`ImageCatalog: ${c.name}`, () => assert.deepEqual(schemaErrors(ImageCatalogSchema, catalog(c.spec)), c.errors));
    it(`ClusterImageCatalog: ${c.name}`, () =>
      assert.deepEqual(schemaErrors(ClusterImageCatalogSchema, catalog(c.spec, 'ClusterImageCatalog')), c.errors));
  }

  it('has no status', () => {
    assert.deepEqual(schemaErrors(ImageCatalogSchema, { ...catalog({ images: [image(18)] }), status: {} }), [
      'unknown field "status"',
    ]);
  });

  it('carries the unique-key CEL rule the list-map check shadows in-process', () => {
    const rule = celChecks(ImageCatalogSpecSchema.properties.componentImages)[0];
    assert.equal(rule?.message, 'Component image keys must be unique');
    assert.equal(
      rule?.check(
        [
          { key: 'a', image: 'x' },
          { key: 'b', image: 'y' },
        ],
        undefined,
      ),
      true,
    );
    assert.equal(
      rule?.check(
        [
          { key: 'a', image: 'x' },
          { key: 'a', image: 'y' },
        ],
        undefined,
      ),
      false,
    );
  });
});

describe('catalog look-ups', () => {
  const spec: ImageCatalogSpec = {
    images: [image(17), image(18)],
    componentImages: [{ key: 'pgbouncer', image: 'pgb' }],
  };
  it('finds the image of a major', () => {
    assert.equal(catalogImageForMajor(spec, 18), 'ghcr.io/cloudnative-pg/postgresql:18');
    assert.equal(catalogImageForMajor(spec, 16), undefined);
  });
  it('finds a component image', () => {
    assert.equal(catalogComponentImage(spec, 'pgbouncer'), 'pgb');
    assert.equal(catalogComponentImage(spec, 'other'), undefined);
    assert.equal(catalogComponentImage({ images: [image(18)] }, 'pgbouncer'), undefined);
  });
});
