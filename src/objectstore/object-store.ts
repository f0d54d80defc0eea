// What the instance manager needs from an object store (S3 today; Azure Blob and Google Cloud
// Storage can implement the same interface), and the errors it raises. Errors say which object
// they concern and sort into kinds a caller can act on: bad credentials, an unreachable endpoint,
// a missing object or bucket, anything else the store answered.
import type { Readable } from 'node:stream';

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
  etag?: string;
}

export interface ListResult {
  objects: ObjectInfo[];
  /** With a delimiter: the "directories" one level below the prefix, each ending in it. */
  prefixes: string[];
}

export interface PutOptions {
  contentType?: string;
  /** Object tags (S3's x-amz-tagging). */
  tags?: Record<string, string>;
  /** Server-side encryption: `AES256` or `aws:kms`. */
  encryption?: 'AES256' | 'aws:kms';
}

export interface ObjectStore {
  /** Where objects go, for messages: `s3://bucket`. */
  readonly url: string;
  /** Writes a whole object; a stream is read once, with memory bounded by the part size. */
  put(key: string, body: Buffer | Readable, options?: PutOptions): Promise<void>;
  /** The object's content as a stream; NotFoundError when it does not exist. */
  get(key: string): Promise<Readable>;
  /** The object's metadata, or undefined when it does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Every object under `prefix` (all pages); with `delimiter`, grouped into common prefixes. */
  list(prefix: string, delimiter?: string): Promise<ListResult>;
  /** Deletes the keys (absent keys are not an error). */
  delete(keys: string[]): Promise<void>;
}

export type ObjectStoreErrorKind = 'credentials' | 'unreachable' | 'not-found' | 'timeout' | 'store';

export class ObjectStoreError extends Error {
  override readonly name = 'ObjectStoreError';
  readonly kind: ObjectStoreErrorKind;
  /** The store's error code (`NoSuchBucket`, `InvalidAccessKeyId`...) or the socket's (`ECONNREFUSED`). */
  readonly code: string;
  /** The object concerned: `s3://bucket/key`. */
  readonly location: string;
  readonly status: number | undefined;

  constructor(message: string, kind: ObjectStoreErrorKind, code: string, location: string, status?: number) {
    super(message);
    this.kind = kind;
    this.code = code;
    this.location = location;
    this.status = status;
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof ObjectStoreError && err.kind === 'not-found';
