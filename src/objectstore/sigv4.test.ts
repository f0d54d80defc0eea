import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalQuery, EMPTY_SHA256, sha256Hex, signRequest, uriEncode } from './sigv4.ts';

// The "GET Object" example of AWS's Signature Version 4 documentation for S3 (Authenticating
// Requests: Using the Authorization Header), with its published signature.
test('signs the documented S3 GetObject example to the published signature', () => {
  const headers: Record<string, string> = { host: 'examplebucket.s3.amazonaws.com', range: 'bytes=0-9' };
  signRequest({
    method: 'GET',
    encodedPath: '/test.txt',
    query: {},
    headers,
    payloadHash: EMPTY_SHA256,
    region: 'us-east-1',
    service: 's3',
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    now: new Date('2013-05-24T00:00:00Z'),
  });
  assert.equal(
    headers.authorization,
    'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
      'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
      'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  );
  assert.equal(headers['x-amz-date'], '20130524T000000Z');
  assert.equal(headers['x-amz-security-token'], undefined);
});

test('signs the documented ListObjects example (query string) to the published signature', () => {
  const headers: Record<string, string> = { host: 'examplebucket.s3.amazonaws.com' };
  signRequest({
    method: 'GET',
    encodedPath: '/',
    query: { 'max-keys': '2', prefix: 'J' },
    headers,
    payloadHash: EMPTY_SHA256,
    region: 'us-east-1',
    service: 's3',
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    now: new Date('2013-05-24T00:00:00Z'),
  });
  assert.match(
    headers.authorization ?? '',
    /Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7$/,
  );
});

test('a session token is sent and signed', () => {
  const headers: Record<string, string> = { host: 'h' };
  signRequest({
    method: 'PUT',
    encodedPath: '/b/k',
    query: {},
    headers,
    payloadHash: sha256Hex('x'),
    region: 'eu-west-1',
    service: 's3',
    credentials: { accessKeyId: 'A', secretAccessKey: 'S', sessionToken: 'T' },
  });
  assert.equal(headers['x-amz-security-token'], 'T');
  assert.match(headers.authorization ?? '', /SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,/);
});

test('URI encoding keeps only unreserved characters (and / in paths)', () => {
  assert.equal(uriEncode('a b/c+d~é', true), 'a%20b/c%2Bd~%C3%A9');
  assert.equal(uriEncode('a/b', false), 'a%2Fb');
  assert.equal(canonicalQuery({ uploads: '', b: '2', a: '1 2' }), 'a=1%202&b=2&uploads=');
});
