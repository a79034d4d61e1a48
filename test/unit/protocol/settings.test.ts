import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import {
  AddressScheme,
  ClientType,
  FilterType,
  Language,
  SettingsSchema,
} from '../../../src/gen/apache/rocketmq/v2/definition_pb.js';
import { backoffDelay } from '../../../src/internal/backoff.js';
import {
  durationFromMs,
  durationToMs,
  fromProtoEndpoints,
  toProtoEndpoints,
} from '../../../src/protocol/convert.js';
import { ClientSettings, type SettingsChange } from '../../../src/protocol/settings.js';
import {
  fromProtoBackoff,
  fromProtoSettings,
  toProtoSettings,
} from '../../../src/protocol/settings-convert.js';
import { parseEndpoints } from '../../../src/rpc/endpoints.js';

const accessPoint = parseEndpoints('127.0.0.1:8081');

describe('durations', () => {
  test('ms → Duration keeps integer seconds and nanos', () => {
    const d = durationFromMs(1500);
    assert.equal(d.seconds, 1n);
    assert.equal(d.nanos, 500_000_000);
    const tiny = durationFromMs(10);
    assert.equal(tiny.seconds, 0n);
    assert.equal(tiny.nanos, 10_000_000);
    const frac = durationFromMs(2.5);
    assert.equal(frac.seconds, 0n);
    assert.equal(frac.nanos, 2_500_000);
    assert.equal(durationFromMs(0).nanos, 0);
    assert.throws(() => durationFromMs(-1), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => durationFromMs(Number.NaN), { code: 'INVALID_ARGUMENT' });
  });

  test('Duration → ms uses seconds and nanos', () => {
    assert.equal(durationToMs({ seconds: 0n, nanos: 10_000_000 }), 10);
    assert.equal(durationToMs({ seconds: 7200n, nanos: 0 }), 7_200_000);
    assert.equal(durationToMs({ seconds: 1n, nanos: 500_000 }), 1000.5);
    assert.equal(durationToMs(undefined), undefined);
  });
});

describe('endpoints conversion', () => {
  test('the scheme is always set', () => {
    assert.equal(toProtoEndpoints(parseEndpoints('1.2.3.4:8081')).scheme, AddressScheme.IPv4);
    assert.equal(toProtoEndpoints(parseEndpoints('[::1]:8081')).scheme, AddressScheme.IPv6);
    assert.equal(toProtoEndpoints(parseEndpoints('proxy.local:8081')).scheme, AddressScheme.DOMAIN_NAME);
  });

  test('an unspecified scheme is inferred on the way in', () => {
    const e = fromProtoEndpoints({
      $typeName: 'apache.rocketmq.v2.Endpoints',
      scheme: AddressScheme.ADDRESS_SCHEME_UNSPECIFIED,
      addresses: [{ $typeName: 'apache.rocketmq.v2.Address', host: '10.1.1.1', port: 8081 }],
    });
    assert.equal(e.scheme, 'ipv4');
  });
});

describe('toProtoSettings', () => {
  test('producer: publishing topics, client type, access point, request timeout, UA, local backoff', () => {
    const settings = new ClientSettings({
      clientType: 'producer',
      accessPoint,
      namespace: 'ns',
      requestTimeoutMs: 2500,
      topics: ['a', 'b', 'a'],
      userAgent: { hostname: 'h', platform: 'p', version: '1.2.3' },
    });
    const p = toProtoSettings(settings.current);
    assert.equal(p.clientType, ClientType.PRODUCER);
    assert.equal(p.accessPoint?.scheme, AddressScheme.IPv4);
    assert.equal(p.accessPoint?.addresses[0]?.port, 8081);
    assert.equal(p.requestTimeout?.seconds, 2n);
    assert.equal(p.requestTimeout?.nanos, 500_000_000);
    assert.equal(p.userAgent?.language, Language.NODE_JS);
    assert.equal(p.userAgent?.hostname, 'h');
    assert.equal(p.pubSub.case, 'publishing');
    if (p.pubSub.case === 'publishing') {
      assert.deepEqual(
        p.pubSub.value.topics.map((t) => [t.resourceNamespace, t.name]),
        [
          ['ns', 'a'],
          ['ns', 'b'],
        ],
      );
    }
    assert.equal(p.backoffPolicy?.maxAttempts, 3);
    assert.equal(p.backoffPolicy?.strategy.case, 'exponentialBackoff');
  });

  test('simple consumer: group, filters and its await duration', () => {
    const settings = new ClientSettings({
      clientType: 'simple-consumer',
      accessPoint,
      group: 'g',
      subscriptions: [
        { topic: 't1', filter: { type: 'tag', expression: '*' } },
        { topic: 't2', filter: { type: 'sql', expression: 'a > 1' } },
      ],
      longPollingTimeoutMs: 15_000,
    });
    const p = toProtoSettings(settings.current);
    assert.equal(p.clientType, ClientType.SIMPLE_CONSUMER);
    assert.equal(p.pubSub.case, 'subscription');
    if (p.pubSub.case === 'subscription') {
      const s = p.pubSub.value;
      assert.equal(s.group?.name, 'g');
      assert.deepEqual(
        s.subscriptions.map((e) => [e.topic?.name, e.expression?.type, e.expression?.expression]),
        [
          ['t1', FilterType.TAG, '*'],
          ['t2', FilterType.SQL, 'a > 1'],
        ],
      );
      assert.equal(s.longPollingTimeout?.seconds, 15n);
    }
    assert.equal(p.backoffPolicy, undefined);
  });

  test('a consumer without a group is refused', () => {
    assert.throws(() => new ClientSettings({ clientType: 'push-consumer', accessPoint }), {
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('fromProtoSettings', () => {
  test('producer reply: sub-second exponential backoff with nanos precision, body size, type check', () => {
    const reply = create(SettingsSchema, {
      backoffPolicy: {
        maxAttempts: 3,
        strategy: {
          case: 'exponentialBackoff',
          value: {
            initial: { seconds: 0n, nanos: 10_000_000 },
            max: { seconds: 1n, nanos: 0 },
            multiplier: 2,
          },
        },
      },
      requestTimeout: { seconds: 3n },
      pubSub: { case: 'publishing', value: { maxBodySize: 4 * 1024 * 1024, validateMessageType: false } },
      metric: { on: true },
    });
    const s = fromProtoSettings(reply);
    assert.equal(s.requestTimeoutMs, 3000);
    assert.equal(s.maxBodySizeBytes, 4 * 1024 * 1024);
    assert.equal(s.validateMessageType, false);
    assert.equal(s.metricsEnabled, true);
    const b = s.retryPolicy?.backoff;
    assert.equal(b?.kind, 'exponential');
    assert.equal(backoffDelay(b!, 1), 10);
    assert.equal(backoffDelay(b!, 2), 20);
    assert.equal(backoffDelay(b!, 8), 1000);
  });

  test('consumer reply: customized backoff, fifo, batch size, long polling', () => {
    const reply = create(SettingsSchema, {
      backoffPolicy: {
        maxAttempts: 17,
        strategy: {
          case: 'customizedBackoff',
          value: { next: [{ seconds: 1n }, { seconds: 5n }, { seconds: 0n, nanos: 250_000_000 }] },
        },
      },
      pubSub: {
        case: 'subscription',
        value: { fifo: true, receiveBatchSize: 16, longPollingTimeout: { seconds: 20n } },
      },
    });
    const s = fromProtoSettings(reply);
    assert.equal(s.retryPolicy?.maxAttempts, 17);
    assert.deepEqual(s.retryPolicy?.backoff, { kind: 'customized', delaysMs: [1000, 5000, 250] });
    assert.equal(s.fifo, true);
    assert.equal(s.receiveBatchSize, 16);
    assert.equal(s.longPollingTimeoutMs, 20_000);
  });

  test('an inconsistent exponential policy is made usable; an empty one is ignored', () => {
    const b = fromProtoBackoff(
      create(SettingsSchema, {
        backoffPolicy: {
          strategy: {
            case: 'exponentialBackoff',
            value: { initial: { seconds: 2n }, max: { seconds: 1n }, multiplier: 0.5 },
          },
        },
      }).backoffPolicy,
    );
    assert.deepEqual(b, { kind: 'exponential', initialMs: 2000, maxMs: 2000, multiplier: 1, jitter: 0 });
    assert.equal(fromProtoBackoff(create(SettingsSchema, { backoffPolicy: {} }).backoffPolicy), undefined);
  });
});

describe('ClientSettings.apply', () => {
  test('producer keeps its maxAttempts, adopts strategy, body size and validation; emits one change', () => {
    const settings = new ClientSettings({ clientType: 'producer', accessPoint, topics: ['t'] });
    const changes: SettingsChange[] = [];
    const off = settings.onChange((c) => changes.push(c));
    const before = settings.current;
    const reply = fromProtoSettings(
      create(SettingsSchema, {
        backoffPolicy: {
          maxAttempts: 9,
          strategy: {
            case: 'exponentialBackoff',
            value: { initial: { nanos: 20_000_000 }, max: { seconds: 2n }, multiplier: 3 },
          },
        },
        requestTimeout: { seconds: 5n },
        pubSub: { case: 'publishing', value: { maxBodySize: 1024, validateMessageType: false } },
      }),
    );
    const after = settings.apply(reply);
    assert.notEqual(after, before);
    assert.equal(after.retryPolicy?.maxAttempts, 3);
    assert.deepEqual(after.retryPolicy?.backoff, {
      kind: 'exponential',
      initialMs: 20,
      maxMs: 2000,
      multiplier: 3,
      jitter: 0,
    });
    assert.equal(after.requestTimeoutMs, 5000);
    assert.equal(after.maxBodySizeBytes, 1024);
    assert.equal(after.validateMessageType, false);
    assert.equal(after.fromServer, true);
    assert.equal(changes.length, 1);
    assert.equal(changes[0]!.previous, before);
    // Same reply again: nothing changes, no event.
    assert.equal(settings.apply(reply), after);
    assert.equal(changes.length, 1);
    off();
  });

  test('push consumer adopts the whole retry policy and subscription fields; simple consumer does not', () => {
    const reply = fromProtoSettings(
      create(SettingsSchema, {
        backoffPolicy: {
          maxAttempts: 5,
          strategy: { case: 'customizedBackoff', value: { next: [{ seconds: 1n }] } },
        },
        pubSub: {
          case: 'subscription',
          value: { fifo: true, receiveBatchSize: 8, longPollingTimeout: { seconds: 20n } },
        },
      }),
    );
    const push = new ClientSettings({ clientType: 'push-consumer', accessPoint, group: 'g' });
    const p = push.apply(reply);
    assert.equal(p.retryPolicy?.maxAttempts, 5);
    assert.deepEqual(p.retryPolicy?.backoff, { kind: 'customized', delaysMs: [1000] });
    assert.equal(p.fifo, true);
    assert.equal(p.receiveBatchSize, 8);
    assert.equal(p.longPollingTimeoutMs, 20_000);

    const simple = new ClientSettings({
      clientType: 'simple-consumer',
      accessPoint,
      group: 'g',
      longPollingTimeoutMs: 7000,
    });
    const s = simple.apply(reply);
    assert.equal(s.retryPolicy, undefined);
    assert.equal(s.longPollingTimeoutMs, 7000);
    assert.equal(s.receiveBatchSize, 32);
    assert.equal(s.fifo, true);
  });

  test('listener errors do not break apply; addTopic emits', () => {
    const settings = new ClientSettings({ clientType: 'producer', accessPoint });
    let seen = 0;
    settings.onChange(() => {
      throw new Error('listener bug');
    });
    settings.onChange(() => seen++);
    assert.equal(settings.addTopic('x'), true);
    assert.equal(settings.addTopic('x'), false);
    assert.deepEqual(settings.current.topics, ['x']);
    assert.equal(seen, 1);
  });

  test('setSubscriptions replaces the subscriptions and emits only on a change', () => {
    const settings = new ClientSettings({ clientType: 'simple-consumer', accessPoint, group: 'g' });
    let seen = 0;
    settings.onChange(() => seen++);
    const a = { topic: 'a', filter: { type: 'tag' as const, expression: '*' } };
    assert.equal(settings.setSubscriptions([a]), true);
    assert.equal(settings.setSubscriptions([{ ...a, filter: { ...a.filter } }]), false);
    assert.deepEqual(settings.current.subscriptions, [a]);
    assert.equal(settings.setSubscriptions([]), true);
    assert.deepEqual(settings.current.subscriptions, []);
    assert.equal(seen, 2);
  });
});
