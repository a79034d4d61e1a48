import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  clientOptions,
  parseCount,
  parseDuration,
  parseSize,
  resolveConnection,
  splitList,
} from '../../../src/cli/options.js';
import { RocketMQError } from '../../../src/index.js';
import { fakeIo } from '../../helpers/fake-cli-io.js';

const invalid = (re: RegExp) => (e: unknown) =>
  e instanceof RocketMQError && e.code === 'INVALID_ARGUMENT' && re.test(e.message);

describe('cli options', () => {
  test('durations: units ms/s/m/h, a bare number is seconds; zero and junk are refused', () => {
    assert.equal(parseDuration('250ms', '--x'), 250);
    assert.equal(parseDuration('10s', '--x'), 10_000);
    assert.equal(parseDuration('1.5m', '--x'), 90_000);
    assert.equal(parseDuration('2h', '--x'), 7_200_000);
    assert.equal(parseDuration('3', '--x'), 3_000);
    assert.equal(parseDuration('0', '--x', { allowZero: true }), 0);
    assert.throws(() => parseDuration('0', '--wait'), invalid(/--wait must be a duration/));
    assert.throws(() => parseDuration('soon', '--wait'), invalid(/got "soon"/));
    assert.throws(() => parseDuration('-1s', '--wait'), invalid(/--wait/));
  });

  test('sizes: bytes, k and m (binary)', () => {
    assert.equal(parseSize('512', '--size'), 512);
    assert.equal(parseSize('4k', '--size'), 4096);
    assert.equal(parseSize('2KiB', '--size'), 2048);
    assert.equal(parseSize('1m', '--size'), 1024 * 1024);
    assert.throws(() => parseSize('0', '--size'), invalid(/--size must be a size/));
    assert.throws(() => parseSize('1g', '--size'), invalid(/got "1g"/));
  });

  test('counts are integers within bounds', () => {
    assert.equal(parseCount('7', '--count'), 7);
    assert.throws(() => parseCount('0', '--count'), invalid(/from 1 to/));
    assert.throws(() => parseCount('1.5', '--count'), invalid(/--count/));
    assert.throws(() => parseCount('5000', '--concurrency', { max: 4096 }), invalid(/from 1 to 4096/));
  });

  test('lists split on commas and repeat', () => {
    assert.deepEqual(splitList(['a,b', ' c ', '']), ['a', 'b', 'c']);
    assert.deepEqual(splitList(undefined), []);
  });

  test('connection: flags win over ROCKETMQ_* variables', () => {
    const io = fakeIo({
      ROCKETMQ_ENDPOINT: 'env-host:8081',
      ROCKETMQ_ACCESS_KEY: 'envAk',
      ROCKETMQ_SECRET_KEY: 'envSk',
      ROCKETMQ_NAMESPACE: 'ns1',
      ROCKETMQ_TLS: 'true',
    });
    const fromEnv = resolveConnection({}, io);
    assert.equal(fromEnv.endpoints, 'env-host:8081');
    assert.equal(fromEnv.authenticated, true);
    assert.equal(fromEnv.namespace, 'ns1');
    assert.equal(fromEnv.tls, true);
    const fromFlags = resolveConnection(
      { endpoint: 'flag-host:9000', 'access-key': 'ak', 'secret-key': 'sk', 'request-timeout': '500ms' },
      io,
    );
    assert.equal(fromFlags.endpoints, 'flag-host:9000');
    assert.equal(fromFlags.requestTimeoutMs, 500);
    const opts = clientOptions(fromFlags);
    assert.deepEqual(Object.keys(opts).sort(), [
      'credentials',
      'endpoints',
      'namespace',
      'requestTimeoutMs',
      'tls',
    ]);
  });

  test('credentials are resolved into a provider with the given pair', async () => {
    const conn = resolveConnection({ endpoint: 'h:1', 'access-key': 'ak', 'secret-key': 'sk' }, fakeIo());
    const creds = await conn.credentials!();
    assert.equal(creds.accessKey, 'ak');
    assert.equal(creds.accessSecret, 'sk');
  });

  test('connection problems name the flag and the variable', () => {
    assert.throws(
      () => resolveConnection({}, fakeIo()),
      invalid(/--endpoint host:port or set ROCKETMQ_ENDPOINT/),
    );
    assert.throws(
      () => resolveConnection({ endpoint: 'h:1', 'access-key': 'ak' }, fakeIo()),
      invalid(/--secret-key or set ROCKETMQ_SECRET_KEY/),
    );
    assert.throws(
      () => resolveConnection({ endpoint: 'h:1' }, fakeIo({ ROCKETMQ_SECRET_KEY: 'sk' })),
      invalid(/--access-key or set ROCKETMQ_ACCESS_KEY/),
    );
  });

  test('--verbose gives a logger that writes to the CLI stderr with secrets redacted', () => {
    const io = fakeIo();
    const conn = resolveConnection({ endpoint: 'h:1', verbose: true }, io);
    conn.logger!.debug('hello', { n: 1, secretKey: 'sk' });
    assert.deepEqual(io.err, ["[debug] hello { n: 1, secretKey: '[REDACTED]' }\n"]);
  });
});
