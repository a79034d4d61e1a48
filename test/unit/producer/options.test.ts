import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RocketMQError } from '../../../src/errors.js';
import { Producer, type ProducerOptions } from '../../../src/producer/index.js';

const BAD: ReadonlyArray<[string, unknown, string?]> = [
  ['no options', undefined],
  ['endpoints missing', {}],
  ['endpoints blank', { endpoints: ' ' }],
  ['endpoints a number', { endpoints: 8081 }],
  ['topics not an array', { endpoints: '127.0.0.1:8081', topics: 'orders' }],
  ['invalid topic name', { endpoints: '127.0.0.1:8081', topics: ['bad topic'] }, 'ILLEGAL_TOPIC'],
  ['system topic', { endpoints: '127.0.0.1:8081', topics: ['TBW102'] }, 'ILLEGAL_TOPIC'],
  ['namespace a number', { endpoints: '127.0.0.1:8081', namespace: 1 }],
  ['requestTimeoutMs 0', { endpoints: '127.0.0.1:8081', requestTimeoutMs: 0 }],
  ['requestTimeoutMs NaN', { endpoints: '127.0.0.1:8081', requestTimeoutMs: Number.NaN }],
  ['maxAttempts 0', { endpoints: '127.0.0.1:8081', maxAttempts: 0 }],
  ['maxAttempts 1.5', { endpoints: '127.0.0.1:8081', maxAttempts: 1.5 }],
  ['maxAttempts 33', { endpoints: '127.0.0.1:8081', maxAttempts: 33 }],
  ['transactionChecker not a function', { endpoints: '127.0.0.1:8081', transactionChecker: 'yes' }],
  ['logger not an object', { endpoints: '127.0.0.1:8081', logger: 'console' }],
  ['clientId blank', { endpoints: '127.0.0.1:8081', clientId: '' }],
  ['isolation probe interval 0', { endpoints: '127.0.0.1:8081', isolationProbeIntervalMs: 0 }],
  ['access point with a bad port', { endpoints: '127.0.0.1:99999' }, 'ILLEGAL_ACCESS_POINT'],
];

describe('Producer options', () => {
  for (const [name, options, code = 'INVALID_ARGUMENT'] of BAD) {
    test(`${name} → ${code}`, () => {
      assert.throws(
        () => new Producer(options as ProducerOptions),
        (e: unknown) => e instanceof RocketMQError && e.code === code,
      );
    });
  }

  test('valid options construct without connecting', async () => {
    const p = new Producer({ endpoints: '127.0.0.1:1', topics: ['a', 'a', 'b'], maxAttempts: 5 });
    assert.equal(p.state, 'created');
    assert.deepEqual(p.core.settings.current.topics, ['a', 'b']);
    await assert.rejects(p.send({ topic: 'a', body: 'x' }), { code: 'INVALID_STATE' });
    await p.shutdown();
    await assert.rejects(p.send({ topic: 'a', body: 'x' }), { code: 'CLOSED' });
  });
});
