// An S3 client for the ObjectStore interface, on node:http(s) and SigV4 (no AWS SDK: the instance
// manager lives in every pod's memory limit). Path-style addressing with an endpoint URL (MinIO and
// other S3-compatible servers), virtual-host style on AWS; a custom CA for HTTPS; bodies larger
// than one part go up as a multipart upload holding at most `partConcurrency` parts in memory.
import { createHash } from 'node:crypto';
import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import {
  type ListResult,
  type ObjectInfo,
  type ObjectStore,
  ObjectStoreError,
  type ObjectStoreErrorKind,
  type PutOptions,
} from './object-store.ts';
import type { CredentialSource } from './s3-credentials.ts';
import { EMPTY_SHA256, sha256Hex, signRequest, uriEncode } from './sigv4.ts';
import { decodeXmlText, encodeXmlText, xmlBlocks, xmlText } from './xml.ts';

export interface S3ClientOptions {
  bucket: string;
  region: string;
  credentials: CredentialSource;
  /** An S3-compatible endpoint (`http://minio:9000`); addressed path-style unless told otherwise. */
  endpointURL?: string;
  forcePathStyle?: boolean;
  /** PEM CA bundle trusted for HTTPS (the Cluster's endpointCA), in addition to nothing else. */
  ca?: string;
  /** Bodies up to this size go up in one PUT, larger ones in parts of this size (min 5 MiB). */
  partSize?: number;
  partConcurrency?: number;
  /** A request that sees no byte for this long fails (connect included). */
  timeoutMs?: number;
  /** Attempts for a request that failed transiently (5xx, connection reset); bodies are buffers. */
  maxAttempts?: number;
}

const MiB = 1024 * 1024;
const MIN_PART_SIZE = 5 * MiB;
const MAX_PARTS = 10_000;
const DELETE_BATCH = 1000;

const CREDENTIAL_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'InvalidClientTokenId',
  'Forbidden',
]);
const NOT_FOUND_CODES = new Set(['NoSuchBucket', 'NoSuchKey', 'NoSuchUpload', 'NotFound']);
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EPIPE',
]);
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);

/** Status-only answers (HEAD has no body) named as S3 names them. */
const STATUS_CODES: Record<number, [string, string]> = {
  301: ['PermanentRedirect', 'the bucket is in another region'],
  400: ['BadRequest', 'the store refused the request'],
  403: ['Forbidden', 'access denied (check the credentials)'],
  404: ['NotFound', 'not found'],
};

interface Request {
  method: 'GET' | 'PUT' | 'POST' | 'HEAD' | 'DELETE';
  key?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer;
}

export class S3ObjectStore implements ObjectStore {
  readonly url: string;
  private readonly base: URL;
  private readonly pathStyle: boolean;
  private readonly agent: HttpAgent;
  private readonly partSize: number;
  /** Parts of one multipart upload in flight at once (default 2, barman-cloud's default jobs). */
  readonly partConcurrency: number;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly options: S3ClientOptions;

  constructor(options: S3ClientOptions) {
    this.options = options;
    this.url = `s3://${options.bucket}`;
    const endpoint = options.endpointURL ?? `https://s3.${options.region}.amazonaws.com`;
    try {
      this.base = new URL(endpoint);
    } catch {
      throw new Error(`endpointURL "${endpoint}" is not a URL`);
    }
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') {
      throw new Error(`endpointURL "${endpoint}": only http and https are supported`);
    }
    this.pathStyle = options.forcePathStyle ?? (options.endpointURL !== undefined || options.bucket.includes('.'));
    const agentOptions = { keepAlive: true, maxSockets: 32 };
    this.agent =
      this.base.protocol === 'https:'
        ? new HttpsAgent({ ...agentOptions, ...(options.ca === undefined ? {} : { ca: options.ca }) })
        : new HttpAgent(agentOptions);
    this.partSize = Math.max(MIN_PART_SIZE, options.partSize ?? 16 * MiB);
    this.partConcurrency = Math.max(1, options.partConcurrency ?? 2);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  }

  /** Closes idle connections. */
  close(): void {
    this.agent.destroy();
  }

  location(key?: string): string {
    return key === undefined ? this.url : `${this.url}/${key}`;
  }

  private target(key: string | undefined): { host: string; path: string } {
    const basePath = this.base.pathname.replace(/\/$/, '');
    const encodedKey = key === undefined ? '' : uriEncode(key, true);
    if (this.pathStyle) {
      const path = `${basePath}/${uriEncode(this.options.bucket, false)}${key === undefined ? '' : `/${encodedKey}`}`;
      return { host: this.base.host, path };
    }
    return { host: `${this.options.bucket}.${this.base.host}`, path: `${basePath}/${encodedKey}` };
  }

  /** Sends a request; resolves with a 2xx response (unread), or fails with an ObjectStoreError. */
  private async send(req: Request): Promise<IncomingMessage> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.sendOnce(req);
      } catch (err) {
        const transient =
          err instanceof ObjectStoreError &&
          ((err.status !== undefined && TRANSIENT_STATUS.has(err.status)) ||
            err.code === 'ECONNRESET' ||
            err.code === 'EPIPE' ||
            err.code === 'SlowDown');
        if (!transient || attempt >= this.maxAttempts) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  }

  private async sendOnce(req: Request): Promise<IncomingMessage> {
    const location = this.location(req.key);
    let credentials: Awaited<ReturnType<CredentialSource>>;
    try {
      credentials = await this.options.credentials();
    } catch (err) {
      throw new ObjectStoreError(`${(err as Error).message} (${location})`, 'credentials', 'NoCredentials', location);
    }
    const { host, path } = this.target(req.key);
    const query = req.query ?? {};
    const body = req.body;
    const headers: Record<string, string> = { host, ...req.headers };
    if (body !== undefined) headers['content-length'] = String(body.length);
    signRequest({
      method: req.method,
      encodedPath: path || '/',
      query,
      headers,
      payloadHash: body === undefined || body.length === 0 ? EMPTY_SHA256 : sha256Hex(body),
      region: this.options.region,
      service: 's3',
      credentials,
    });
    const search = new URLSearchParams(query).toString().replace(/\+/g, '%20');
    const send = this.base.protocol === 'https:' ? httpsRequest : httpRequest;
    const [hostname, port] = splitHost(host, this.base);
    return await new Promise<IncomingMessage>((resolve, reject) => {
      const request = send(
        {
          method: req.method,
          hostname,
          port,
          path: `${path || '/'}${search === '' ? '' : `?${search}`}`,
          headers,
          agent: this.agent,
          timeout: this.timeoutMs,
          servername: hostname,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            resolve(res);
            return;
          }
          readText(res).then(
            (text) => reject(this.answerError(status, text, res, location)),
            (err: Error) => reject(this.socketError(err, location)),
          );
        },
      );
      request.on('timeout', () => {
        request.destroy(
          new ObjectStoreError(
            `no answer from ${this.base.origin} within ${this.timeoutMs / 1000} s (${location})`,
            'timeout',
            'Timeout',
            location,
          ),
        );
      });
      request.on('error', (err) => reject(err instanceof ObjectStoreError ? err : this.socketError(err, location)));
      request.end(body);
    });
  }

  private answerError(status: number, text: string, res: IncomingMessage, location: string): ObjectStoreError {
    const fallback = STATUS_CODES[status] ?? [`HTTP${status}`, `the store answered HTTP ${status}`];
    const code = xmlText(text, 'Code') ?? fallback[0];
    let message = xmlText(text, 'Message') ?? fallback[1];
    const region = res.headers['x-amz-bucket-region'];
    if (status === 301 && typeof region === 'string') message += `: ${region}, not ${this.options.region}`;
    return new ObjectStoreError(`${code}: ${message} (${location})`, errorKind(code, status), code, location, status);
  }

  private socketError(err: Error, location: string): ObjectStoreError {
    const code = (err as NodeJS.ErrnoException).code ?? 'ERR';
    const kind: ObjectStoreErrorKind = UNREACHABLE_CODES.has(code) ? 'unreachable' : 'store';
    const tls = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code);
    const hint = tls ? ' (is endpointCA the CA that signed the server certificate?)' : '';
    return new ObjectStoreError(
      `cannot reach ${this.base.origin}: ${code}: ${err.message}${hint} (${location})`,
      tls ? 'unreachable' : kind,
      code,
      location,
    );
  }

  private async call(req: Request): Promise<{ res: IncomingMessage; text: string }> {
    const res = await this.send(req);
    return { res, text: await readText(res) };
  }

  async put(key: string, body: Buffer | Readable, options: PutOptions = {}): Promise<void> {
    if (Buffer.isBuffer(body)) {
      if (body.length <= this.partSize) return this.putSingle(key, body, options);
      return this.putParts(key, sliceBuffer(body, this.partSize), options);
    }
    // Read a part's worth first: most bodies (WAL segments) fit in one PUT.
    const iterator = chunksOf(body, this.partSize)[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done) return this.putSingle(key, Buffer.alloc(0), options);
    const second = await iterator.next();
    if (second.done) return this.putSingle(key, first.value, options);
    async function* rest(): AsyncGenerator<Buffer> {
      yield first.value as Buffer;
      yield second.value as Buffer;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    }
    return this.putParts(key, rest(), options);
  }

  private objectHeaders(options: PutOptions): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/octet-stream' };
    if (options.tags !== undefined && Object.keys(options.tags).length > 0) {
      headers['x-amz-tagging'] = new URLSearchParams(options.tags).toString().replace(/\+/g, '%20');
    }
    if (options.encryption !== undefined) headers['x-amz-server-side-encryption'] = options.encryption;
    return headers;
  }

  private async putSingle(key: string, body: Buffer, options: PutOptions): Promise<void> {
    await this.call({ method: 'PUT', key, body, headers: this.objectHeaders(options) });
  }

  private async putParts(
    key: string,
    parts: AsyncIterable<Buffer> | Iterable<Buffer>,
    options: PutOptions,
  ): Promise<void> {
    const created = await this.call({
      method: 'POST',
      key,
      query: { uploads: '' },
      headers: this.objectHeaders(options),
    });
    const uploadId = xmlText(created.text, 'UploadId');
    if (uploadId === undefined) {
      throw new ObjectStoreError(
        `CreateMultipartUpload gave no UploadId (${this.location(key)})`,
        'store',
        'NoUploadId',
        this.location(key),
      );
    }
    const etags: string[] = [];
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    try {
      let partNumber = 0;
      for await (const part of parts) {
        partNumber++;
        if (partNumber > MAX_PARTS) {
          throw new ObjectStoreError(
            `the object needs more than ${MAX_PARTS} parts of ${this.partSize} bytes (${this.location(key)})`,
            'store',
            'EntityTooLarge',
            this.location(key),
          );
        }
        const n = partNumber;
        const upload: Promise<void> = this.call({
          method: 'PUT',
          key,
          query: { partNumber: String(n), uploadId },
          body: part,
        }).then(
          ({ res }) => {
            etags[n - 1] = String(res.headers.etag ?? '');
            inFlight.delete(upload);
          },
          (err: unknown) => {
            failure ??= err;
            inFlight.delete(upload);
          },
        );
        inFlight.add(upload);
        if (inFlight.size >= this.partConcurrency) await Promise.race(inFlight);
        if (failure !== undefined) throw failure;
      }
      await Promise.all(inFlight);
      if (failure !== undefined) throw failure;
      const xml = `<CompleteMultipartUpload>${etags
        .map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${encodeXmlText(etag)}</ETag></Part>`)
        .join('')}</CompleteMultipartUpload>`;
      const done = await this.call({ method: 'POST', key, query: { uploadId }, body: Buffer.from(xml) });
      // CompleteMultipartUpload may fail after answering 200: the error is in the body.
      if (xmlBlocks(done.text, 'Error').length > 0)
        throw this.answerError(500, done.text, done.res, this.location(key));
    } catch (err) {
      await Promise.allSettled(inFlight);
      await this.call({ method: 'DELETE', key, query: { uploadId } }).catch(() => undefined);
      throw err;
    }
  }

  async get(key: string): Promise<Readable> {
    return await this.send({ method: 'GET', key });
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const { res } = await this.call({ method: 'HEAD', key });
      return {
        key,
        size: Number(res.headers['content-length'] ?? 0),
        lastModified: new Date(String(res.headers['last-modified'])),
        etag: res.headers.etag,
      };
    } catch (err) {
      if (err instanceof ObjectStoreError && err.status === 404) return undefined;
      throw err;
    }
  }

  async list(prefix: string, delimiter?: string): Promise<ListResult> {
    const result: ListResult = { objects: [], prefixes: [] };
    let token: string | undefined;
    do {
      const query: Record<string, string> = { 'list-type': '2', prefix };
      if (delimiter !== undefined) query.delimiter = delimiter;
      if (token !== undefined) query['continuation-token'] = token;
      const { text } = await this.call({ method: 'GET', query });
      for (const block of xmlBlocks(text, 'Contents')) {
        result.objects.push({
          key: xmlText(block, 'Key') ?? '',
          size: Number(xmlText(block, 'Size') ?? 0),
          lastModified: new Date(xmlText(block, 'LastModified') ?? 0),
          etag: xmlText(block, 'ETag'),
        });
      }
      for (const block of xmlBlocks(text, 'CommonPrefixes')) result.prefixes.push(xmlText(block, 'Prefix') ?? '');
      token = xmlText(text, 'IsTruncated') === 'true' ? xmlText(text, 'NextContinuationToken') : undefined;
    } while (token !== undefined);
    return result;
  }

  async delete(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      const xml = `<Delete><Quiet>true</Quiet>${batch
        .map((k) => `<Object><Key>${encodeXmlText(k)}</Key></Object>`)
        .join('')}</Delete>`;
      const body = Buffer.from(xml);
      const { res, text } = await this.call({
        method: 'POST',
        query: { delete: '' },
        body,
        headers: { 'content-md5': createHash('md5').update(body).digest('base64'), 'content-type': 'application/xml' },
      });
      const failed = xmlBlocks(text, 'Error')[0];
      if (failed !== undefined) {
        const key = decodeXmlText(xmlText(failed, 'Key') ?? '');
        throw this.answerError(500, failed, res, this.location(key));
      }
    }
  }

  /** Whether the bucket exists and these credentials may use it. */
  async bucketExists(): Promise<boolean> {
    try {
      await this.call({ method: 'HEAD' });
      return true;
    } catch (err) {
      if (err instanceof ObjectStoreError && err.status === 404) return false;
      throw err;
    }
  }

  async createBucket(): Promise<void> {
    const body =
      this.options.region === 'us-east-1'
        ? undefined
        : Buffer.from(
            `<CreateBucketConfiguration><LocationConstraint>${encodeXmlText(this.options.region)}</LocationConstraint></CreateBucketConfiguration>`,
          );
    await this.call({ method: 'PUT', body });
  }
}

function errorKind(code: string, status: number): ObjectStoreErrorKind {
  if (CREDENTIAL_CODES.has(code) || status === 403) return 'credentials';
  if (NOT_FOUND_CODES.has(code) || status === 404) return 'not-found';
  return 'store';
}

function splitHost(host: string, base: URL): [string, number] {
  const defaultPort = base.protocol === 'https:' ? 443 : 80;
  const port = base.port === '' ? defaultPort : Number(base.port);
  const hostname = base.port === '' ? host : host.slice(0, host.length - base.port.length - 1);
  return [hostname.replace(/^\[(.*)\]$/, '$1'), port];
}

function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function* sliceBuffer(body: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < body.length; i += size) yield body.subarray(i, i + size);
}

/** The stream re-cut into buffers of exactly `size` bytes (the last one shorter). */
async function* chunksOf(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    pending.push(buf);
    length += buf.length;
    while (length >= size) {
      const all = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, length);
      yield all.subarray(0, size);
      const rest = all.subarray(size);
      pending = rest.length > 0 ? [rest] : [];
      length = rest.length;
    }
  }
  if (length > 0) yield Buffer.concat(pending, length);
}
