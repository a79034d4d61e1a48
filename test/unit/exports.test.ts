import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as api from '../../src/index.js';

// The runtime export list of the package entry, pinned: adding or removing a public symbol is a
// deliberate change to this list (type-only exports are checked by the typecheck of their users).
test('the package entry exports exactly the curated runtime symbols', () => {
  assert.deepEqual(Object.keys(api).sort(), [
    'ConsumeErrorActions',
    'FilterExpression',
    'LitePushConsumer',
    'LiteSimpleConsumer',
    'MemoryIdempotencyStore',
    'MessageView',
    'NonRetryableError',
    'Producer',
    'PushConsumer',
    'Registry',
    'RocketMQError',
    'SimpleConsumer',
    'Transaction',
    'VERSION',
    'consoleLogger',
    'currentHandlerContext',
    'debugLogger',
    'defaultErrorClassifier',
    'defaultRegistry',
    'getConsumerSwitch',
    'handleShutdownSignals',
    'idempotentListener',
    'isNonRetryableError',
    'managedHealth',
    'noopLogger',
    'pinoLikeLogger',
    'registerConsumer',
    'registerProducer',
    'requeueAllClassifier',
    'setConsumerSwitch',
    'shutdownAll',
    'startAllConsumers',
    'staticCredentials',
    'validateMessage',
    'waitStop',
  ]);
});
