// Our own S3 client on a test object store (object-store.ts's MinIO), for suites that read or write
// objects directly: the store's credentials and region, its bucket unless told otherwise.
import { type S3ClientOptions, S3ObjectStore } from '../../src/objectstore/s3-client.ts';
import { staticCredentials } from '../../src/objectstore/s3-credentials.ts';
import type { ObjectStore } from './object-store.ts';

/** A client of `store`; `overrides` change any option (bucket, part size, credentials...). */
export function objectStoreClient(store: ObjectStore, overrides: Partial<S3ClientOptions> = {}): S3ObjectStore {
  return new S3ObjectStore({
    bucket: store.bucket,
    region: store.region,
    endpointURL: store.endpointURL,
    credentials: staticCredentials({ accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey }),
    ...(store.caPem === undefined ? {} : { ca: store.caPem }),
    ...overrides,
  });
}
