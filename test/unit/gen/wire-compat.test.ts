/**
 * Pins known wire facts of the RocketMQ 5.x gRPC protocol against the
 * generated descriptors, and checks one encoding byte for byte against a
 * hand-computed protobuf encoding. The expected values are typed in here
 * independently of proto/, so a wrong number or shape in a .proto fails.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DescField, DescMessage } from '@bufbuild/protobuf';
import { create, equals, fromBinary, ScalarType, toBinary } from '@bufbuild/protobuf';
import { TimestampSchema } from '@bufbuild/protobuf/wkt';
import { Admin } from '../../../src/gen/apache/rocketmq/v2/admin_pb.js';
import {
  AddressScheme,
  ClientType,
  Code,
  CodeSchema,
  LiteSubscriptionAction,
  MessageType,
  SettingsSchema,
  SystemPropertiesSchema,
} from '../../../src/gen/apache/rocketmq/v2/definition_pb.js';
import {
  MessagingService,
  ReceiveMessageResponseSchema,
  SendMessageRequestSchema,
  TelemetryCommandSchema,
} from '../../../src/gen/apache/rocketmq/v2/service_pb.js';

function field(desc: DescMessage, name: string): DescField {
  const f = desc.fields.find((x) => x.name === name);
  assert.ok(f, `${desc.typeName} has no field ${name}`);
  return f;
}

function oneofNumbers(desc: DescMessage, oneof: string): Record<string, number> {
  const o = desc.oneofs.find((x) => x.name === oneof);
  assert.ok(o, `${desc.typeName} has no oneof ${oneof}`);
  return Object.fromEntries(o.fields.map((f) => [f.name, f.number]));
}

test('MessagingService: method paths and streaming kinds', () => {
  const expected: Record<string, string> = {
    QueryRoute: 'unary',
    Heartbeat: 'unary',
    SendMessage: 'unary',
    QueryAssignment: 'unary',
    ReceiveMessage: 'server_streaming',
    AckMessage: 'unary',
    ForwardMessageToDeadLetterQueue: 'unary',
    PullMessage: 'server_streaming',
    UpdateOffset: 'unary',
    GetOffset: 'unary',
    QueryOffset: 'unary',
    EndTransaction: 'unary',
    Telemetry: 'bidi_streaming',
    NotifyClientTermination: 'unary',
    ChangeInvisibleDuration: 'unary',
    RecallMessage: 'unary',
    SyncLiteSubscription: 'unary',
  };
  const actual = Object.fromEntries(
    MessagingService.methods.map((m) => [`/${MessagingService.typeName}/${m.name}`, m.methodKind]),
  );
  const want = Object.fromEntries(
    Object.entries(expected).map(([name, kind]) => [`/apache.rocketmq.v2.MessagingService/${name}`, kind]),
  );
  assert.deepEqual(actual, want);

  const receive = MessagingService.method.receiveMessage;
  assert.equal(receive.input.typeName, 'apache.rocketmq.v2.ReceiveMessageRequest');
  assert.equal(receive.output.typeName, 'apache.rocketmq.v2.ReceiveMessageResponse');
  const telemetry = MessagingService.method.telemetry;
  assert.equal(telemetry.input.typeName, 'apache.rocketmq.v2.TelemetryCommand');
  assert.equal(telemetry.output.typeName, 'apache.rocketmq.v2.TelemetryCommand');
});

test('Admin service: name and the oddly named QueryMessage RPC', () => {
  assert.equal(Admin.typeName, 'apache.rocketmq.v2.Admin');
  assert.equal(Admin.methods.length, 16);
  const query = Admin.methods.find((m) => m.name === 'QueryMessage');
  assert.ok(query);
  assert.equal(query.input.typeName, 'apache.rocketmq.v2.ListMessageRequest');
  assert.equal(query.output.typeName, 'apache.rocketmq.v2.ListMessageResponse');
});

test('SystemProperties: field numbers and explicit presence', () => {
  const numbers: Record<string, number> = {
    tag: 1,
    keys: 2,
    message_id: 3,
    born_timestamp: 7,
    receipt_handle: 12,
    delivery_attempt: 16,
    message_group: 17,
    dead_letter_queue: 20,
    lite_topic: 21,
    priority: 22,
  };
  for (const [name, number] of Object.entries(numbers)) {
    assert.equal(field(SystemPropertiesSchema, name).number, number, `SystemProperties.${name}`);
  }
  for (const name of ['priority', 'delivery_attempt', 'message_group', 'tag']) {
    assert.equal(field(SystemPropertiesSchema, name).proto.proto3Optional, true, `${name} is optional`);
  }
  assert.equal(field(SystemPropertiesSchema, 'priority').scalar, ScalarType.INT32);
  assert.equal(field(SystemPropertiesSchema, 'keys').fieldKind, 'list');
});

test('Code and other enums: values', () => {
  assert.equal(Code.OK, 20000);
  assert.equal(Code.UNAUTHORIZED, 40100);
  assert.equal(Code.MESSAGE_NOT_FOUND, 40401);
  assert.equal(Code.TOO_MANY_REQUESTS, 42900);
  assert.equal(Code.INVALID_CLIENT_PROPERTIES, 40021);
  assert.equal(CodeSchema.values.find((v) => v.name === 'LITE_SUBSCRIPTION_QUOTA_EXCEEDED')?.number, 42902);
  assert.equal(ClientType.LITE_SIMPLE_CONSUMER, 6);
  assert.equal(MessageType.PRIORITY, 6);
  assert.equal(AddressScheme.IPv6, 2);
  assert.equal(LiteSubscriptionAction.PARTIAL_ADD, 0);
  assert.equal(LiteSubscriptionAction.COMPLETE_REMOVE, 3);
});

test('ReceiveMessageResponse.content oneof is status=1, message=2, delivery_timestamp=3', () => {
  assert.deepEqual(oneofNumbers(ReceiveMessageResponseSchema, 'content'), {
    status: 1,
    message: 2,
    delivery_timestamp: 3,
  });
});

test('TelemetryCommand: status=1 outside the oneof, commands 2..9', () => {
  const status = field(TelemetryCommandSchema, 'status');
  assert.equal(status.number, 1);
  assert.equal(status.oneof, undefined, 'status is not a member of the command oneof');
  assert.equal(status.proto.proto3Optional, true, 'status has explicit presence');
  assert.deepEqual(oneofNumbers(TelemetryCommandSchema, 'command'), {
    settings: 2,
    thread_stack_trace: 3,
    verify_message_result: 4,
    recover_orphaned_transaction_command: 5,
    print_thread_stack_trace_command: 6,
    verify_message_command: 7,
    reconnect_endpoints_command: 8,
    notify_unsubscribe_lite_command: 9,
  });
});

test('Settings.client_properties is map<string, string> = 9', () => {
  const f = field(SettingsSchema, 'client_properties');
  assert.equal(f.number, 9);
  assert.equal(f.fieldKind, 'map');
  if (f.fieldKind !== 'map') return;
  assert.equal(f.mapKey, ScalarType.STRING);
  assert.equal(f.mapKind, 'scalar');
  assert.deepEqual(oneofNumbers(SettingsSchema, 'pub_sub'), { publishing: 5, subscription: 6 });
});

// --- hand-rolled protobuf encoding, independent of @bufbuild/protobuf ---

function varint(value: number | bigint): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number((v & 0x7fn) | 0x80n));
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
const key = (fieldNo: number, wireType: 0 | 2): number[] => varint((fieldNo << 3) | wireType);
const int = (fieldNo: number, value: number | bigint): number[] => [...key(fieldNo, 0), ...varint(value)];
const bytes = (fieldNo: number, payload: number[]): number[] => [
  ...key(fieldNo, 2),
  ...varint(payload.length),
  ...payload,
];
const str = (fieldNo: number, s: string): number[] => bytes(fieldNo, [...Buffer.from(s, 'utf8')]);

test('hand-rolled encoder sanity (known vectors)', () => {
  assert.deepEqual(varint(300), [0xac, 0x02]);
  assert.deepEqual(key(22, 0), [0xb0, 0x01]);
  assert.deepEqual(str(2, 'T'), [0x12, 0x01, 0x54]);
});

test('SendMessageRequest encodes byte for byte as hand-computed', () => {
  const built = create(SendMessageRequestSchema, {
    messages: [
      {
        topic: { name: 'T' },
        userProperties: { k: 'v' },
        systemProperties: {
          tag: 'a',
          messageId: 'id1',
          messageType: MessageType.NORMAL,
          bornTimestamp: create(TimestampSchema, { seconds: 1_700_000_000n, nanos: 5 }),
          queueId: 3,
          messageGroup: 'g',
          priority: 0,
        },
        body: new Uint8Array([0x68, 0x69]),
      },
    ],
  });

  const systemProperties = [
    ...str(1, 'a'), // tag
    ...str(3, 'id1'), // message_id
    ...int(6, 1), // message_type = NORMAL
    ...bytes(7, [...int(1, 1_700_000_000n), ...int(2, 5)]), // born_timestamp
    ...int(13, 3), // queue_id
    ...str(17, 'g'), // message_group
    ...int(22, 0), // priority: explicitly present although zero
  ];
  const message = [
    ...bytes(1, str(2, 'T')), // topic.name
    ...bytes(2, [...str(1, 'k'), ...str(2, 'v')]), // user_properties entry
    ...bytes(3, systemProperties),
    ...bytes(4, [0x68, 0x69]), // body
  ];
  const expected = Uint8Array.from(bytes(1, message)); // SendMessageRequest.messages

  // The tail of the system properties must be priority: key 0xb0 0x01, value 0x00.
  assert.deepEqual(systemProperties.slice(-3), [0xb0, 0x01, 0x00]);

  const actual = toBinary(SendMessageRequestSchema, built);
  assert.deepEqual(Buffer.from(actual).toString('hex'), Buffer.from(expected).toString('hex'));

  const parsed = fromBinary(SendMessageRequestSchema, expected);
  assert.ok(equals(SendMessageRequestSchema, parsed, built));
  assert.equal(parsed.messages[0]?.systemProperties?.priority, 0);
  assert.equal(parsed.messages[0]?.systemProperties?.deliveryAttempt, undefined);
});

test('an unset optional priority is not encoded', () => {
  const withZero = toBinary(SystemPropertiesSchema, create(SystemPropertiesSchema, { priority: 0 }));
  const unset = toBinary(SystemPropertiesSchema, create(SystemPropertiesSchema, {}));
  assert.deepEqual([...withZero], [0xb0, 0x01, 0x00]);
  assert.deepEqual([...unset], []);
});
