import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeXmlText, encodeXmlText, xmlBlocks, xmlText } from './xml.ts';

test('reads the elements of an S3 answer and decodes their entities', () => {
  const xml =
    '<?xml version="1.0"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsTruncated>false</IsTruncated>' +
    '<Contents><Key>a&amp;b</Key><Size>3</Size></Contents><Contents><Key>c&#x3c;d&#62;</Key><Size>4</Size></Contents></ListBucketResult>';
  assert.deepEqual(
    xmlBlocks(xml, 'Contents').map((b) => xmlText(b, 'Key')),
    ['a&b', 'c<d>'],
  );
  assert.equal(xmlText(xml, 'IsTruncated'), 'false');
  assert.equal(xmlText(xml, 'Missing'), undefined);
  assert.equal(decodeXmlText(encodeXmlText(`<a href="x">'&'</a>`)), `<a href="x">'&'</a>`);
});
