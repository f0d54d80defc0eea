import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arr, bool, cel, enumOf, immutable, int32, listMap, map, obj, opt, quantity, str } from './schema-kit.ts';
import { applySchemaDefaults, type SchemaNode, validateSchema } from './schema-validate.ts';

const Item = obj({ name: str(), value: opt(int32()) });
const Spec = cel(
  obj({
    instances: int32({ minimum: 1, default: 1 }),
    level: opt(enumOf(['info', 'debug'], { default: 'info' })),
    name: opt(str({ pattern: '^[a-z]+$', maxLength: 5, minLength: 1 })),
    size: opt(quantity()),
    items: opt(listMap(Item, ['name'])),
    tags: opt(map(str())),
    flags: opt(arr(bool(), { maxItems: 2 })),
    owner: opt(immutable(str(), 'owner is immutable')),
    nested: opt(obj({ deep: opt(str({ default: 'x' })) })),
  }),
  [
    {
      rule: '!has(self.name) || self.name != "root"',
      message: 'name cannot be root',
      check: (s) => s.name !== 'root',
    },
  ],
);
const schema = obj({ spec: Spec }) as unknown as SchemaNode;
const messages = (value: unknown, old?: unknown) => validateSchema(schema, value, { old }).map(String);

describe('schema validation in the API server wording', () => {
  it('accepts a well-formed object', () => {
    assert.deepEqual(messages({ spec: { instances: 2, size: '1Gi', items: [{ name: 'a' }], tags: { a: 'b' } } }), []);
  });
  it('reports wrong types with the JSON type found', () => {
    assert.deepEqual(messages({ spec: { instances: 'two' } }), [
      'spec.instances: Invalid value: "string": spec.instances in body must be of type integer: "string"',
    ]);
  });
  it('reports missing required fields', () => {
    assert.deepEqual(messages({}), ['spec: Required value']);
  });
  it('reports bounds, enums, patterns and lengths', () => {
    assert.deepEqual(messages({ spec: { instances: 0, level: 'trace', name: 'ABCDEFG' } }), [
      'spec.instances: Invalid value: 0: spec.instances in body should be greater than or equal to 1',
      'spec.level: Unsupported value: "trace": supported values: "info", "debug"',
      'spec.name: Too long: may not be more than 5 bytes',
      'spec.name: Invalid value: "ABCDEFG": spec.name in body should match \'^[a-z]+$\'',
    ]);
  });
  it('rejects fields the schema does not declare', () => {
    assert.deepEqual(messages({ spec: { instances: 1, bogus: true, nested: { other: 1 } } }), [
      'unknown field "spec.bogus"',
      'unknown field "spec.nested.other"',
    ]);
  });
  it('checks quantities as int-or-string with the quantity pattern', () => {
    assert.deepEqual(messages({ spec: { instances: 1, size: 10 } }), []);
    assert.equal(messages({ spec: { instances: 1, size: 'ten' } }).length, 1);
    assert.equal(messages({ spec: { instances: 1, size: true } }).length, 1);
  });
  it('finds duplicate keys in map lists and too many items', () => {
    assert.deepEqual(
      messages({ spec: { instances: 1, items: [{ name: 'a' }, { name: 'a' }], flags: [true, true, false] } }),
      ['spec.items[1]: Duplicate value: {"name":"a"}', 'spec.flags: Too many: 3: must have at most 2 items'],
    );
  });
  it('runs CEL predicates, transition rules only on update', () => {
    assert.deepEqual(messages({ spec: { instances: 1, name: 'root' } }), [
      'spec: Invalid value: "object": name cannot be root',
    ]);
    assert.deepEqual(messages({ spec: { instances: 1, owner: 'a' } }), []);
    assert.deepEqual(messages({ spec: { instances: 1, owner: 'b' } }, { spec: { instances: 1, owner: 'a' } }), [
      'spec.owner: Invalid value: "b": owner is immutable',
    ]);
  });
  it('applies defaults to absent fields and prunes nulls', () => {
    assert.deepEqual(applySchemaDefaults(schema, { spec: { name: null, nested: {} } }), {
      spec: { instances: 1, level: 'info', nested: { deep: 'x' } },
    });
  });
});
