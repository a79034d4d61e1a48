/**
 * Requests built by the protocol layer (with a fake RpcClient: no sockets): QueryRoute carries the access
 * point with its scheme set; Heartbeat / NotifyClientTermination carry the group only for consumers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, type DescMessage, type DescMethodUnary, type MessageInitShape } from '@bufbuild/protobuf';
import {
  AddressScheme,
  ClientType,
  Code,
  Permission,
} from '../../../src/gen/apache/rocketmq/v2/definition_pb.js';
import { sendClientTermination, sendHeartbeat } from '../../../src/protocol/lifecycle-convert.js';
import { queryRoute } from '../../../src/protocol/route-convert.js';
import { ClientSettings } from '../../../src/protocol/settings.js';
import type { RpcClient } from '../../../src/rpc/call.js';
import { parseEndpoints } from '../../../src/rpc/endpoints.js';

function fakeRpc(response: (method: string) => unknown) {
  const sent: Array<{ method: string; request: unknown }> = [];
  const rpc = {
    invoke: async <I extends DescMessage, O extends DescMessage>(
      _e: unknown,
      method: DescMethodUnary<I, O>,
      request: MessageInitShape<I>,
    ) => {
      sent.push({ method: method.name, request: create(method.input, request) });
      return create(method.output, response(method.name) as MessageInitShape<O>);
    },
  } as unknown as RpcClient;
  return { rpc, sent };
}

test('QueryRoute request: topic with namespace and the access point with a scheme', async () => {
  const accessPoint = parseEndpoints('proxy.example.com:8081');
  const { rpc, sent } = fakeRpc(() => ({
    status: { code: Code.OK },
    messageQueues: [
      {
        topic: { name: 't' },
        id: 0,
        permission: Permission.READ_WRITE,
        broker: {
          name: 'b',
          id: 0,
          endpoints: {
            scheme: AddressScheme.DOMAIN_NAME,
            addresses: [{ host: 'proxy.example.com', port: 8081 }],
          },
        },
      },
    ],
  }));
  const route = await queryRoute({ rpc, accessPoint, namespace: 'ns' }, 't');
  const req = sent[0]!.request as {
    topic: { name: string; resourceNamespace: string };
    endpoints: { scheme: number };
  };
  assert.equal(sent[0]!.method, 'QueryRoute');
  assert.equal(req.topic.name, 't');
  assert.equal(req.topic.resourceNamespace, 'ns');
  assert.equal(req.endpoints.scheme, AddressScheme.DOMAIN_NAME);
  assert.equal(route.queues.length, 1);
  assert.equal(route.queues[0]!.endpoints.scheme, 'domain');
});

test('Heartbeat and NotifyClientTermination: group only for consumers', async () => {
  const accessPoint = parseEndpoints('127.0.0.1:8081');
  const { rpc, sent } = fakeRpc(() => ({ status: { code: Code.OK } }));
  const producer = new ClientSettings({ clientType: 'producer', accessPoint }).current;
  const consumer = new ClientSettings({
    clientType: 'simple-consumer',
    accessPoint,
    group: 'g',
    namespace: 'ns',
  }).current;
  await sendHeartbeat(rpc, accessPoint, producer);
  await sendHeartbeat(rpc, accessPoint, consumer);
  await sendClientTermination(rpc, accessPoint, producer);
  await sendClientTermination(rpc, accessPoint, consumer);
  const [hp, hc, tp, tc] = sent.map(
    (s) => s.request as { clientType?: ClientType; group?: { name: string; resourceNamespace: string } },
  );
  assert.equal(hp!.clientType, ClientType.PRODUCER);
  assert.equal(hp!.group, undefined);
  assert.equal(hc!.clientType, ClientType.SIMPLE_CONSUMER);
  assert.deepEqual([hc!.group?.name, hc!.group?.resourceNamespace], ['g', 'ns']);
  assert.equal(tp!.group, undefined);
  assert.equal(tc!.group?.name, 'g');
  assert.deepEqual(
    sent.map((s) => s.method),
    ['Heartbeat', 'Heartbeat', 'NotifyClientTermination', 'NotifyClientTermination'],
  );
});
