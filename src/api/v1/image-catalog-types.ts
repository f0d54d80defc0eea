// ImageCatalog (namespaced) and ClusterImageCatalog (cluster-wide), postgresql.cnpg.io/v1: the
// PostgreSQL image to use for each major version, with its extensions, plus named images of other
// components (PgBouncer). Both kinds share one spec and have no status.
import { extensionList, integer } from './common-types.ts';
import { cel, listMap, obj, objectMetaRoot, opt, type Static, str, Type } from './schema-kit.ts';

export const COMPONENT_IMAGE_KEY_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

export const CatalogImageSchema = obj({
  image: str(),
  /** Trusted as given: the operator does not inspect the image. Unique in a catalog. */
  major: integer({ minimum: 10 }),
  extensions: opt(extensionList()),
});
export type CatalogImage = Static<typeof CatalogImageSchema>;

/** An image for a component other than PostgreSQL, looked up by key. */
export const CatalogComponentImageSchema = obj({
  key: str({ maxLength: 63, pattern: COMPONENT_IMAGE_KEY_PATTERN }),
  image: str(),
});
export type CatalogComponentImage = Static<typeof CatalogComponentImageSchema>;

export const ImageCatalogSpecSchema = obj({
  images: cel(Type.Array(CatalogImageSchema, { minItems: 1, maxItems: 8 }), [
    {
      rule: 'self.all(e, self.filter(f, f.major==e.major).size() == 1)',
      message: 'Images must have unique major versions',
      check: (s) => s.every((e) => s.filter((f) => f.major === e.major).length === 1),
    },
  ]),
  componentImages: opt(
    cel(listMap(CatalogComponentImageSchema, ['key'], { maxItems: 32 }), [
      {
        rule: 'self.all(e, self.filter(f, f.key==e.key).size() == 1)',
        message: 'Component image keys must be unique',
        check: (s) => s.every((e) => s.filter((f) => f.key === e.key).length === 1),
      },
    ]),
  ),
});
export type ImageCatalogSpec = Static<typeof ImageCatalogSpecSchema>;

/** The root of a catalog: like `resourceSchema` but without status, which these CRDs lack. */
const catalogSchema = (description: string) =>
  Type.Object(
    {
      apiVersion: Type.Optional(Type.String()),
      kind: Type.Optional(Type.String()),
      metadata: Type.Optional(objectMetaRoot()),
      spec: ImageCatalogSpecSchema,
    },
    { description },
  );

export const ImageCatalogSchema = catalogSchema('ImageCatalog is the Schema for the imagecatalogs API');
export type ImageCatalog = Static<typeof ImageCatalogSchema>;

export const ClusterImageCatalogSchema = catalogSchema(
  'ClusterImageCatalog is the Schema for the clusterimagecatalogs API',
);
export type ClusterImageCatalog = Static<typeof ClusterImageCatalogSchema>;

/** The image a catalog gives for a PostgreSQL major version, if any. */
export function catalogImageForMajor(spec: ImageCatalogSpec, major: number): string | undefined {
  return spec.images.find((i) => i.major === major)?.image;
}

/** The image a catalog gives for a component key, if any. */
export function catalogComponentImage(spec: ImageCatalogSpec, key: string): string | undefined {
  return spec.componentImages?.find((i) => i.key === key)?.image;
}
