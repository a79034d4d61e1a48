import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { durationFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import {
  AddressScheme,
  ClientType,
  FilterType,
  Language,
  MessageType,
  SettingsSchema,
} from '../../../src/gen/apache/rocketmq/v2/definition_pb.js';
import { TelemetryCommandSchema } from '../../../src/gen/apache/rocketmq/v2/service_pb.js';
import {
  plainToWireMessage,
  toSettingsSummary,
  toTelemetryCommand,
  toTelemetryReply,
} from '../../../src/testing/telemetry-convert.js';

const ctx = { nowMs: 1_700_000_000_000, storeHost: '127.0.0.1:8081' };

describe('plain message → wire message', () => {
  test('defaults: identity encoding, MD5 digest, broker-filled hosts and times, derived type', () => {
    const m = plainToWireMessage({ topic: 't', body: 'hi' }, ctx);
    const sys = m.systemProperties!;
    assert.equal(m.topic?.name, 't');
    assert.equal(Buffer.from(m.body).toString(), 'hi');
    assert.equal(sys.messageId, '');
    assert.equal(sys.messageType, MessageType.NORMAL);
    assert.equal(sys.bodyDigest?.checksum, '49F68A5C8493EC2C0BF489821C21FC3B');
    assert.equal(sys.storeHost, ctx.storeHost);
    assert.equal(sys.bornHost, '127.0.0.1');
    assert.equal(timestampMs(sys.bornTimestamp!), ctx.nowMs);
    assert.equal(timestampMs(sys.storeTimestamp!), ctx.nowMs);
    assert.equal(sys.tag, undefined);
    assert.deepEqual(sys.keys, []);
  });

  test('type derivation (DELAY, FIFO) and an explicit type override', () => {
    const delay = plainToWireMessage({ topic: 't', body: '', deliveryTimestampMs: ctx.nowMs + 1000 }, ctx);
    assert.equal(delay.systemProperties?.messageType, MessageType.DELAY);
    assert.equal(timestampMs(delay.systemProperties!.deliveryTimestamp!), ctx.nowMs + 1000);
    const fifo = plainToWireMessage({ topic: 't', body: '', messageGroup: 'g1' }, ctx);
    assert.equal(fifo.systemProperties?.messageType, MessageType.FIFO);
    assert.equal(fifo.systemProperties?.messageGroup, 'g1');
    const tx = plainToWireMessage({ topic: 't', body: '', messageType: 'TRANSACTION' }, ctx);
    assert.equal(tx.systemProperties?.messageType, MessageType.TRANSACTION);
  });

  test('malformed input is a TypeError', () => {
    assert.throws(() => plainToWireMessage({ body: 'x' } as never, ctx), TypeError);
    assert.throws(() => plainToWireMessage({ topic: 't', body: 42 } as never, ctx), TypeError);
    assert.throws(
      () => plainToWireMessage({ topic: 't', body: '', messageType: 'X' } as never, ctx),
      TypeError,
    );
    assert.throws(() => toTelemetryCommand(undefined as never, ctx), TypeError);
  });

  test('simple commands map to their oneof case', () => {
    const reconnect = toTelemetryCommand({ type: 'reconnect-endpoints', nonce: 'r' }, ctx).command;
    assert.equal(reconnect.case, 'reconnectEndpointsCommand');
    assert.equal(reconnect.value?.nonce, 'r');
    const stack = toTelemetryCommand({ type: 'print-thread-stack-trace', nonce: 's' }, ctx).command;
    assert.equal(stack.case, 'printThreadStackTraceCommand');
    assert.equal(stack.value?.nonce, 's');
  });
});

describe('client frames → TelemetryReply', () => {
  test('a stack trace without a dump and a frame without status or command', () => {
    const frame = create(TelemetryCommandSchema, {
      command: { case: 'threadStackTrace', value: { nonce: 'n' } },
    });
    assert.deepEqual(toTelemetryReply('c1', frame, 5), {
      clientId: 'c1',
      type: 'thread-stack-trace',
      nonce: 'n',
      receivedAtMs: 5,
    });
    assert.deepEqual(toTelemetryReply('c1', create(TelemetryCommandSchema, {}), 6), {
      clientId: 'c1',
      type: 'other',
      receivedAtMs: 6,
    });
  });
});

describe('Settings → ClientSettingsSummary', () => {
  test('access point (IPv6 bracketed), user agent, properties, exponential backoff', () => {
    const settings = create(SettingsSchema, {
      clientType: ClientType.SIMPLE_CONSUMER,
      accessPoint: {
        scheme: AddressScheme.IPv6,
        addresses: [
          { host: '::1', port: 8081 },
          { host: 'fe80::2', port: 8082 },
        ],
      },
      requestTimeout: durationFromMs(2500),
      backoffPolicy: {
        maxAttempts: 4,
        strategy: { case: 'exponentialBackoff', value: { initial: durationFromMs(100), multiplier: 3 } },
      },
      userAgent: { language: Language.NODE_JS, version: '0.1.0', platform: 'linux', hostname: 'h' },
      clientProperties: { a: 'b' },
      pubSub: {
        case: 'subscription',
        value: {
          group: { name: 'g' },
          subscriptions: [
            { topic: { name: 't1' }, expression: { type: FilterType.SQL, expression: 'a > 1' } },
            { topic: { name: 't2' } },
          ],
        },
      },
    });
    assert.deepEqual(toSettingsSummary(settings), {
      clientType: 'SIMPLE_CONSUMER',
      accessPoint: ['[::1]:8081', '[fe80::2]:8082'],
      requestTimeoutMs: 2500,
      backoffPolicy: {
        maxAttempts: 4,
        strategy: { kind: 'exponential', initialMs: 100, maxMs: 0, multiplier: 3 },
      },
      userAgent: { language: 'NODE_JS', version: '0.1.0', platform: 'linux', hostname: 'h' },
      properties: { a: 'b' },
      group: 'g',
      subscriptions: [
        { topic: 't1', filterType: 'SQL', expression: 'a > 1' },
        { topic: 't2', filterType: 'UNSPECIFIED', expression: '' },
      ],
    });
  });

  test('empty settings: UNSPECIFIED client type, no producer or consumer fields', () => {
    assert.deepEqual(toSettingsSummary(create(SettingsSchema, {})), {
      clientType: 'UNSPECIFIED',
      properties: {},
    });
    const unknown = toSettingsSummary(create(SettingsSchema, { clientType: 99 as ClientType }));
    assert.equal(unknown.clientType, 'UNSPECIFIED');
  });
});
