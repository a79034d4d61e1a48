import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, test } from 'node:test';
import { ManualClock } from '../../../src/internal/clock.js';
import { createClientId, sanitizeHostname } from '../../../src/rpc/client-id.js';

describe('createClientId', () => {
  test('hostname@pid@index@base36(now)', () => {
    const clock = new ManualClock(1_704_164_645_000);
    const id = createClientId({ hostname: 'mbp', pid: 78774, clock });
    const [host, pid, index, suffix, ...rest] = id.split('@');
    assert.equal(rest.length, 0);
    assert.equal(host, 'mbp');
    assert.equal(pid, '78774');
    assert.match(index!, /^\d+$/);
    // base 36 of 1704164645000, computed independently with a Python digit loop
    assert.equal(suffix, 'lqvrmnpk');
  });

  test('the index grows by one per created id, so ids in the same millisecond differ', () => {
    const clock = new ManualClock(1000);
    const a = createClientId({ hostname: 'h', pid: 1, clock });
    const b = createClientId({ hostname: 'h', pid: 1, clock });
    assert.notEqual(a, b);
    assert.equal(Number(b.split('@')[2]) - Number(a.split('@')[2]), 1);
  });

  test('defaults to the real hostname and pid', () => {
    const id = createClientId();
    assert.ok(id.startsWith(`${sanitizeHostname(hostname())}@${process.pid}@`));
  });
});

describe('sanitizeHostname', () => {
  test('keeps valid names, replaces unsafe characters, caps the length', () => {
    assert.equal(sanitizeHostname('build-01.local'), 'build-01.local');
    assert.equal(sanitizeHostname('my host@home'), 'my_host_home');
    assert.equal(sanitizeHostname('hôte\n'), 'h_te_');
    assert.equal(sanitizeHostname(''), 'localhost');
    assert.equal(sanitizeHostname('x'.repeat(100)).length, 64);
  });
});
