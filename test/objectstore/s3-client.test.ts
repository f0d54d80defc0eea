// The S3 client against a real MinIO: objects in and out (single and multipart, streamed), listing
// with pagination and delimiters, batch delete, and the errors a user meets: wrong credentials, a
// missing bucket or key, an unreachable endpoint.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, test } from 'node:test';
import type { ObjectStoreError } from '../../src/objectstore/object-store.ts';
import { S3ObjectStore } from '../../src/objectstore/s3-client.ts';
import { staticCredentials } from '../../src/objectstore/s3-credentials.ts';
import { type ObjectStore, startObjectStore } from '../support/object-store.ts';
import { objectStoreClient } from '../support/object-store-client.ts';

let minio: ObjectStore;
let store: S3ObjectStore;

before(async () => {
  minio = await startObjectStore({ bucket: 'client' });
  store = objectStoreClient(minio, { partSize: 5 * 1024 * 1024 });
});
after(async () => {
  store?.close();
  await minio?.stop();
});

test('put, head, get and delete an object, keys with spaces and non-ASCII included', async () => {
  const key = 'dir/a b+c/é.txt';
  await store.put(key, Buffer.from('hello'), { tags: { cluster: 'pg one' }, contentType: 'text/plain' });
  assert.equal((await store.head(key))?.size, 5);
  assert.equal((await buffer(await store.get(key))).toString(), 'hello');
  await store.delete([key]);
  assert.equal(await store.head(key), undefined);
});

test('a stream larger than a part goes up as a multipart upload and comes back identical', async () => {
  const body = randomBytes(12 * 1024 * 1024 + 123);
  const chunks = Array.from({ length: Math.ceil(body.length / 65536) }, (_, i) =>
    body.subarray(i * 65536, (i + 1) * 65536),
  );
  await store.put('multipart/object', Readable.from(chunks));
  const info = await store.head('multipart/object');
  assert.equal(info?.size, body.length);
  assert.match(info?.etag ?? '', /-3"$/, 'three parts of 5 MiB');
  assert.ok((await buffer(await store.get('multipart/object'))).equals(body));
  await store.put('multipart/empty', Readable.from([]));
  assert.equal((await store.head('multipart/empty'))?.size, 0);
});

/**
 * A proxy in front of MinIO that counts the UploadPart requests in flight, holding each a moment
 * so that parts the client sends together overlap. Headers pass unchanged (the signature covers Host).
 */
async function partCountingProxy(target: string): Promise<{ url: string; maxInFlight: () => number; close(): void }> {
  let inFlight = 0;
  let max = 0;
  const server = createHttpServer((req, res) => {
    const isPart = req.method === 'PUT' && /[?&]partNumber=/.test(req.url ?? '');
    if (isPart) max = Math.max(max, ++inFlight);
    const forward = () => {
      const upstream = httpRequest(
        new URL(req.url ?? '/', target),
        { method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on('end', () => {
            if (isPart) inFlight--;
          });
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    };
    if (isPart) setTimeout(forward, 200);
    else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, maxInFlight: () => max, close: () => server.close() };
}

test('an upload sends at most partConcurrency parts at once (a base backup sets it from data.jobs)', async () => {
  const body = randomBytes(6 * 5 * 1024 * 1024);
  for (const partConcurrency of [1, 3]) {
    const proxy = await partCountingProxy(minio.endpointURL);
    const client = objectStoreClient(minio, { endpointURL: proxy.url, partSize: 5 * 1024 * 1024, partConcurrency });
    try {
      await client.put(`concurrency/${partConcurrency}`, Readable.from([body]));
      assert.equal(proxy.maxInFlight(), partConcurrency);
      assert.ok((await buffer(await store.get(`concurrency/${partConcurrency}`))).equals(body));
    } finally {
      client.close();
      proxy.close();
    }
  }
});

test('listing pages through every key and groups by delimiter; delete works in batches', async () => {
  const keys = Array.from(
    { length: 1105 },
    (_, i) => `list/${i % 2 === 0 ? 'even' : 'odd'}/${String(i).padStart(5, '0')}`,
  );
  for (let i = 0; i < keys.length; i += 50) {
    await Promise.all(keys.slice(i, i + 50).map((k) => store.put(k, Buffer.from(k))));
  }
  const all = await store.list('list/');
  assert.equal(all.objects.length, keys.length);
  assert.deepEqual((await store.list('list/', '/')).prefixes, ['list/even/', 'list/odd/']);
  await store.delete(keys);
  assert.equal((await store.list('list/')).objects.length, 0);
});

test('errors carry S3 code, message and object, and sort into kinds', async () => {
  await assert.rejects(store.get('missing/key'), (err: ObjectStoreError) => {
    assert.equal(err.kind, 'not-found');
    assert.match(err.message, /^NoSuchKey: .* \(s3:\/\/client\/missing\/key\)$/);
    return true;
  });
  const noBucket = objectStoreClient(minio, { bucket: 'no-such-bucket' });
  await assert.rejects(noBucket.put('k', Buffer.from('x')), (err: ObjectStoreError) => {
    assert.equal(err.message, 'NoSuchBucket: The specified bucket does not exist (s3://no-such-bucket/k)');
    assert.equal(err.kind, 'not-found');
    return true;
  });
  assert.equal(await noBucket.bucketExists(), false);
  noBucket.close();
  const wrongKey = objectStoreClient(minio, {
    credentials: staticCredentials({ accessKeyId: minio.accessKeyId, secretAccessKey: 'wrong-secret' }),
  });
  await assert.rejects(wrongKey.put('k', Buffer.from('x')), (err: ObjectStoreError) => {
    assert.equal(err.kind, 'credentials');
    assert.match(err.message, /^SignatureDoesNotMatch: .* \(s3:\/\/client\/k\)$/);
    return true;
  });
  const unknownKey = objectStoreClient(minio, {
    credentials: staticCredentials({ accessKeyId: 'nobody', secretAccessKey: 'x' }),
  });
  await assert.rejects(
    unknownKey.list(''),
    (err: ObjectStoreError) => err.kind === 'credentials' && err.code === 'InvalidAccessKeyId',
  );
  wrongKey.close();
  unknownKey.close();
});

test('an unreachable endpoint fails at once, a silent one after the timeout', async () => {
  const closed = new S3ObjectStore({
    bucket: 'b',
    region: 'us-east-1',
    endpointURL: 'http://127.0.0.1:1',
    credentials: staticCredentials({ accessKeyId: 'a', secretAccessKey: 'b' }),
  });
  await assert.rejects(closed.put('k', Buffer.from('x')), (err: ObjectStoreError) => {
    assert.equal(err.kind, 'unreachable');
    assert.match(err.message, /^cannot reach http:\/\/127.0.0.1:1: ECONNREFUSED: .* \(s3:\/\/b\/k\)$/);
    return true;
  });
  closed.close();
  // A server that accepts connections and never answers.
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as { port: number }).port;
  const hanging = new S3ObjectStore({
    bucket: 'b',
    region: 'us-east-1',
    endpointURL: `http://127.0.0.1:${port}`,
    credentials: staticCredentials({ accessKeyId: 'a', secretAccessKey: 'b' }),
    timeoutMs: 500,
    maxAttempts: 1,
  });
  try {
    await assert.rejects(hanging.head('k'), (err: ObjectStoreError) => err.kind === 'timeout');
  } finally {
    hanging.close();
    silent.close();
  }
});
