import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import {
  ClientType,
  Code,
  type Message,
  MessageSchema,
} from '../../../src/gen/apache/rocketmq/v2/definition_pb.js';
import { codeName, message, uniqueName } from '../../helpers/in-process-client.js';
import { startBroker } from './fixture.js';

describe('SendMessage validation (proxy codes)', () => {
  test('each invalid request gets the proxy status code and stores nothing', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const topic = uniqueName('v');
    const fifo = uniqueName('vf');
    fx.broker.createTopic(topic);
    fx.broker.createTopic(fifo, { type: 'FIFO' });
    const c = fx.client();
    const now = fx.time!.now();
    const withId = (m: Message, id: string): Message => {
      m.systemProperties!.messageId = id;
      return m;
    };
    const cases: Array<[string, Message[], string]> = [
      ['no messages', [], 'MESSAGE_CORRUPTED'],
      ['messages of two topics', [message({ topic }), message({ topic: fifo })], 'MESSAGE_CORRUPTED'],
      ['invalid topic name', [message({ topic: 'bad topic' })], 'ILLEGAL_TOPIC'],
      ['empty body', [message({ topic, body: '' })], 'MESSAGE_BODY_EMPTY'],
      [
        'body over 4 MiB',
        [message({ topic, body: new Uint8Array(4 * 1024 * 1024 + 1) })],
        'MESSAGE_BODY_TOO_LARGE',
      ],
      ['tag with |', [message({ topic, tag: 'a|b' })], 'ILLEGAL_MESSAGE_TAG'],
      ['blank key', [message({ topic, keys: ['  '] })], 'ILLEGAL_MESSAGE_KEY'],
      ['reserved property', [message({ topic, props: { DELAY: '3' } })], 'ILLEGAL_MESSAGE_PROPERTY_KEY'],
      ['blank message id', [withId(message({ topic }), '')], 'ILLEGAL_MESSAGE_ID'],
      ['group of 64 bytes', [message({ topic: fifo, group: 'x'.repeat(64) })], 'ILLEGAL_MESSAGE_GROUP'],
      [
        'delivery time over a day ahead',
        [message({ topic, deliveryAtMs: now + 25 * 3600_000 })],
        'ILLEGAL_DELIVERY_TIME',
      ],
      [
        'too many properties',
        [
          message({
            topic,
            props: Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`p${i}`, 'v'])),
          }),
        ],
        'MESSAGE_PROPERTIES_TOO_LARGE',
      ],
      [
        'FIFO message on a NORMAL topic',
        [message({ topic, group: 'g1' })],
        'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
      ],
      ['NORMAL message on a FIFO topic', [message({ topic: fifo })], 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'],
      ['unknown topic', [message({ topic: 'nobody-created-this' })], 'TOPIC_NOT_FOUND'],
    ];
    for (const [name, messages, expected] of cases) {
      const res = await c.send(...messages);
      assert.equal(codeName(res.status), expected, name);
      assert.equal(res.entries.length, 0, `${name}: no entries on failure`);
    }
    assert.equal(fx.broker.stats().stored, 0);
  });

  test('a message without system properties is rejected for its missing id', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('nosys');
    fx.broker.createTopic(topic);
    const res = await fx
      .client()
      .send(create(MessageSchema, { topic: { name: topic }, body: new Uint8Array([1]) }));
    assert.equal(codeName(res.status), 'ILLEGAL_MESSAGE_ID');
  });

  test('validateMessageType: false accepts a type mismatch', async (t) => {
    const fx = await startBroker(t, { validateMessageType: false });
    const topic = uniqueName('lax');
    fx.broker.createTopic(topic);
    const res = await fx.client().send(message({ topic, group: 'g' }));
    assert.equal(res.status?.code, Code.OK);
  });
});

describe('authentication', () => {
  const acl = { accessKey: 'ak-test', secretKey: 'right-secret' };

  test('a correctly signed request passes; a wrong secret, unknown key or no signature → 40100', async (t) => {
    const fx = await startBroker(t, { acl });
    const topic = uniqueName('auth');
    fx.broker.createTopic(topic);
    const ok = await fx.client({ accessKey: 'ak-test', secretKey: 'right-secret' }).queryRoute(topic);
    assert.equal(ok.status?.code, Code.OK);
    for (const opts of [
      { accessKey: 'ak-test', secretKey: 'wrong' },
      { accessKey: 'someone', secretKey: 'right-secret' },
      {},
    ]) {
      const res = await fx.client(opts).queryRoute(topic);
      assert.equal(res.status?.code, Code.UNAUTHORIZED, JSON.stringify(opts));
    }
  });

  test('authentication is checked before the client id', async (t) => {
    const fx = await startBroker(t, { acl });
    const res = await fx
      .client({ accessKey: 'ak-test', secretKey: 'wrong', omit: ['x-mq-client-id'] })
      .heartbeat(ClientType.PRODUCER);
    assert.equal(res.status?.code, Code.UNAUTHORIZED);
  });

  test('Telemetry with a wrong secret: one status-only 40100 frame, then the stream completes', async (t) => {
    const fx = await startBroker(t, { acl });
    const telemetry = fx.client({ accessKey: 'ak-test', secretKey: 'wrong' }).telemetry();
    telemetry.write({ command: { case: 'settings', value: { clientType: ClientType.PRODUCER } } });
    const frame = await telemetry.next();
    assert.equal(frame.status?.code, Code.UNAUTHORIZED);
    assert.equal(frame.command.case, undefined);
    const end = await telemetry.ended;
    assert.equal(end.code, grpc.status.OK);
    assert.equal(telemetry.frames.length, 1);
  });

  test('ReceiveMessage with a wrong secret: status frame only', async (t) => {
    const fx = await startBroker(t, { acl });
    const topic = uniqueName('auth-r');
    fx.broker.createTopic(topic);
    const r = await fx.client({ accessKey: 'ak-test', secretKey: 'wrong' }).receive({ group: 'g', topic });
    assert.equal(codeName(r.status), 'UNAUTHORIZED');
    assert.equal(r.frames.length, 1);
  });
});
