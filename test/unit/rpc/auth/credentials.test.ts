import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { RocketMQError } from '../../../../src/errors.js';
import {
  createCredentials,
  resolveCredentials,
  staticCredentials,
  toCredentialsProvider,
} from '../../../../src/rpc/auth/credentials.js';

describe('createCredentials', () => {
  test('exposes the values to code that asks for them', () => {
    const c = createCredentials('AK', 'SK-secret', 'TOKEN-secret');
    assert.equal(c.accessKey, 'AK');
    assert.equal(c.accessSecret, 'SK-secret');
    assert.equal(c.securityToken, 'TOKEN-secret');
    assert.ok(Object.isFrozen(c));
  });

  test('hides secrets from enumeration, JSON, spread and inspect', () => {
    const c = createCredentials('AK', 'SK-secret', 'TOKEN-secret');
    assert.deepEqual(Object.keys(c), ['accessKey']);
    assert.deepEqual({ ...c }, { accessKey: 'AK' });
    const json = JSON.stringify({ options: { credentials: c } });
    assert.doesNotMatch(json, /SK-secret|TOKEN-secret/);
    assert.match(json, /"accessSecret":"\[REDACTED\]"/);
    const shown = inspect({ credentials: c }, { depth: 5 });
    assert.doesNotMatch(shown, /SK-secret|TOKEN-secret/);
    assert.equal(
      inspect(c, { breakLength: Number.POSITIVE_INFINITY }),
      "Credentials { accessKey: 'AK', accessSecret: '[REDACTED]', securityToken: '[REDACTED]' }",
    );
    assert.doesNotMatch(inspect(c, { showHidden: true }), /SK-secret|TOKEN-secret/);
  });

  test('no token → no token field', () => {
    const c = createCredentials('AK', 'SK');
    assert.equal(c.securityToken, undefined);
    assert.deepEqual(JSON.parse(JSON.stringify(c)), { accessKey: 'AK', accessSecret: '[REDACTED]' });
  });

  test('rejects non-string input', () => {
    assert.throws(
      () => createCredentials(1 as unknown as string, 'x'),
      (e) => e instanceof RocketMQError && e.code === 'INVALID_ARGUMENT',
    );
    assert.throws(
      () => createCredentials('a', 'b', 5 as unknown as string),
      (e) => e instanceof RocketMQError && e.code === 'INVALID_ARGUMENT',
    );
  });
});

describe('providers', () => {
  test('staticCredentials always returns the same hidden object', async () => {
    const provider = staticCredentials('AK', 'SK', 'T');
    const a = await provider();
    assert.equal(a, await provider());
    assert.equal(a.accessSecret, 'SK');
    assert.deepEqual(Object.keys(a), ['accessKey']);
  });

  test('toCredentialsProvider accepts plain objects (hiding them) and functions', async () => {
    const fromObject = toCredentialsProvider({ accessKey: 'A', accessSecret: 'S' });
    const creds = await fromObject();
    assert.equal(creds.accessSecret, 'S');
    assert.deepEqual(Object.keys(creds), ['accessKey']);
    const fn = async () => createCredentials('B', 'T');
    assert.equal(toCredentialsProvider(fn), fn);
  });

  test('resolveCredentials awaits providers and validates the result', async () => {
    assert.equal((await resolveCredentials(async () => createCredentials('A', 'S'))).accessKey, 'A');
    await assert.rejects(
      resolveCredentials(() => null as unknown as ReturnType<typeof createCredentials>),
      (e) => e instanceof RocketMQError && e.code === 'INVALID_ARGUMENT',
    );
    const cause = new Error('vault down');
    await assert.rejects(
      resolveCredentials(async () => {
        throw cause;
      }),
      (e) => e instanceof RocketMQError && e.code === 'INTERNAL' && e.cause === cause,
    );
  });
});
