// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pg_hba rules hold literal ${podselector:NAME}
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Cluster } from '../api/v1/cluster-types.ts';
import { expandHbaRule, expandHbaRules, hostMask, selectorAddresses } from './pg-hba-expansion.ts';

const addresses = new Map([
  ['app-pods', ['10.244.1.7', '10.244.2.9']],
  ['v6', ['FD00:0:0:0:0:0:0:1']],
  ['nobody', []],
]);

describe('expandHbaRule', () => {
  test('one line per address, with a host mask, the rest of the rule unchanged', () => {
    assert.deepEqual(expandHbaRule('hostssl mydb myuser ${podselector:app-pods} scram-sha-256', addresses), [
      'hostssl mydb myuser 10.244.1.7/32 scram-sha-256',
      'hostssl mydb myuser 10.244.2.9/32 scram-sha-256',
    ]);
    assert.deepEqual(expandHbaRule('host all all ${podselector:v6} md5', addresses), ['host all all fd00::1/128 md5']);
  });

  test('a selector that selects no pod leaves the rule out', () => {
    assert.deepEqual(expandHbaRule('host all all ${podselector:nobody} md5', addresses), []);
  });

  test('a rule without a reference is kept as it is', () => {
    assert.deepEqual(expandHbaRule('host all all 10.244.0.0/16 md5', addresses), ['host all all 10.244.0.0/16 md5']);
  });

  test('a name the status does not hold, or another descriptor type, becomes a comment saying why', () => {
    assert.deepEqual(expandHbaRule('host all all ${podselector:later} md5', addresses), [
      '# host all all ${podselector:later} md5 # pod selector not found: later',
    ]);
    assert.deepEqual(expandHbaRule('host all all ${service:rw} md5', addresses), [
      '# host all all ${service:rw} md5 # unknown descriptor type: service',
    ]);
  });

  test('rules keep their order, each expanded in place', () => {
    assert.deepEqual(
      expandHbaRules(
        ['local all all peer', 'host all app ${podselector:v6} trust', 'host all all all reject'],
        addresses,
      ),
      ['local all all peer', 'host all app fd00::1/128 trust', 'host all all all reject'],
    );
  });
});

describe('hostMask', () => {
  test('IPv4 gets /32, IPv6 its canonical text and /128', () => {
    assert.equal(hostMask('127.10.0.4'), '127.10.0.4/32');
    assert.equal(hostMask('2001:DB8:0:0:1:0:0:1'), '2001:db8::1:0:0:1/128');
    assert.equal(hostMask('::1'), '::1/128');
  });

  test('an IPv4-mapped IPv6 address is its IPv4 address; anything else is left alone', () => {
    assert.equal(hostMask('::ffff:10.0.0.1'), '10.0.0.1/32');
    assert.equal(hostMask('not-an-ip'), 'not-an-ip');
  });
});

test('selectorAddresses reads status.podSelectorRefs (no status: no name resolved yet)', () => {
  const cluster = (status: Cluster['status']) => ({ spec: { instances: 1 }, status }) as Cluster;
  const resolved = selectorAddresses(cluster({ podSelectorRefs: [{ name: 'a', ips: ['1.2.3.4'] }, { name: 'b' }] }));
  assert.deepEqual(
    [...resolved],
    [
      ['a', ['1.2.3.4']],
      ['b', []],
    ],
  );
  assert.equal(selectorAddresses(cluster(undefined)).size, 0);
});
