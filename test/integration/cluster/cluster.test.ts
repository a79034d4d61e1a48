/**
 * The client on a REAL RocketMQ cluster started by this file from the Maven jars: a name server, two
 * broker masters and two proxies in cluster mode, reached through the access point
 * `127.0.0.1:P1;127.0.0.1:P2`. One cluster serves every test of the file; the proxy-kill test runs
 * last because it leaves one proxy dead.
 *
 * - the route holds both brokers, sends spread over both, a message group stays on one queue and is
 *   consumed in order, nothing lost;
 * - 20 clients spread over both proxies (each client orders the access point at random);
 * - a PushConsumer's assignment covers both brokers, each message handled once;
 * - SIGKILL of the proxy a producer uses: sends resume through the other proxy within 15 s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PushConsumer } from '../../../src/consumer/push-consumer.js';
import { SimpleConsumer } from '../../../src/consumer/simple-consumer.js';
import type { MessageView } from '../../../src/model/message-view.js';
import { Producer } from '../../../src/producer/producer.js';
import { ClientCore } from '../../../src/protocol/client-core.js';
import type { JvmCluster } from '../../../testcontainers/index.js';
import { uniqueName } from '../../helpers/broker.js';
import { waitFor } from '../../helpers/wait-for.js';
import { busyConnections, clusterOrReason, portOf, proxyConnections } from '../../helpers/cluster.js';

const FAILOVER_BOUND_MS = 15_000;

describe('a cluster: two masters behind two cluster-mode proxies', () => {
  let cluster: JvmCluster | undefined;
  let skipReason = '';
  const closers: Array<() => Promise<unknown>> = [];

  before(async () => {
    const c = await clusterOrReason({ brokers: 2, proxies: 2 });
    if (typeof c === 'string') skipReason = c;
    else cluster = c;
  });

  after(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await cluster?.stop();
  });

  const producer = async (topics: string[]) => {
    const p = new Producer({ endpoints: cluster!.endpoint, topics });
    closers.push(() => p.shutdown({ timeoutMs: 2000 }));
    await p.start({ timeoutMs: 30_000 });
    return p;
  };

  test('the route holds both brokers; sends spread over both; a message group stays on one queue, in order', async (t) => {
    if (!cluster) return t.skip(skipReason);
    const normal = uniqueName('cn');
    const fifo = uniqueName('cf');
    const group = uniqueName('cf-g');
    await cluster.createTopic(normal, 'NORMAL', { queues: 4 });
    await cluster.createTopic(fifo, 'FIFO', { queues: 4 });
    await cluster.createConsumerGroup(group, { fifo: true });

    const core = new ClientCore({ clientType: 'producer', accessPoint: cluster.endpoint, topics: [normal] });
    closers.push(() => core.shutdown({ timeoutMs: 2000 }));
    await core.start({ timeoutMs: 30_000 });
    const route = await core.getRoute(normal);
    assert.deepEqual([...new Set(route.queues.map((q) => q.brokerName))].sort(), ['broker-a', 'broker-b']);
    for (const q of route.queues) {
      // Cluster mode: every queue carries the access point's addresses, with the ports we dialled.
      assert.deepEqual(
        q.endpoints.addresses.map((a) => `${a.host}:${a.port}`).sort(),
        [...cluster.proxyEndpoints].sort(),
      );
    }

    const p = await producer([normal, fifo]);
    const sentIds = new Set<string>();
    for (let i = 0; i < 100; i++) sentIds.add((await p.send({ topic: normal, body: `n${i}` })).messageId);
    for (let i = 0; i < 20; i++) await p.send({ topic: fifo, body: `g${i}`, messageGroup: 'order-1' });

    // Where a message went is what the broker stored (the proxy picks the queue of a non-FIFO send
    // itself, so the receipt's queue is only the client's proposal): read it back.
    const brokerOf = new Map(
      cluster.masters.map((m, i) => [`127.0.0.1:${m.ports[1]}`, cluster!.brokerNames[i]!]),
    );
    const consume = async (topic: string, consumerGroup: string, n: number) => {
      const c = new SimpleConsumer({
        endpoints: cluster!.endpoint,
        consumerGroup,
        subscriptions: { [topic]: '*' },
        awaitDurationMs: 5000,
      });
      closers.push(() => c.shutdown({ timeoutMs: 2000 }));
      await c.start({ timeoutMs: 30_000 });
      const got: MessageView[] = [];
      const end = Date.now() + 60_000;
      while (got.length < n && Date.now() < end) {
        for (const m of await c.receive(32, 20_000)) {
          got.push(m);
          await c.ack(m);
        }
      }
      return got;
    };
    const normalGroup = uniqueName('cn-g');
    await cluster.createConsumerGroup(normalGroup);
    const [normals, ordered] = await Promise.all([
      consume(normal, normalGroup, 100),
      consume(fifo, group, 20),
    ]);

    assert.deepEqual(new Set(normals.map((m) => m.messageId)), sentIds, 'every message once');
    assert.equal(normals.length, 100, 'no duplicates');
    const perBroker = new Map<string, number>();
    for (const m of normals) {
      const name = brokerOf.get(m.storeHost ?? '') ?? `unknown ${m.storeHost}`;
      perBroker.set(name, (perBroker.get(name) ?? 0) + 1);
    }
    t.diagnostic(`100 sends stored per broker: ${JSON.stringify([...perBroker])}`);
    assert.deepEqual([...perBroker.keys()].sort(), ['broker-a', 'broker-b']);
    for (const n of perBroker.values()) assert.ok(n >= 20, `both brokers take a share: ${[...perBroker]}`);

    assert.deepEqual(
      ordered.map((m) => m.body.toString()),
      Array.from({ length: 20 }, (_, i) => `g${i}`),
      'every message of the group, once, in order',
    );
    const queues = new Set(ordered.map((m) => `${brokerOf.get(m.storeHost ?? '')}/${m.queueId}`));
    assert.equal(queues.size, 1, `one message group, one queue: ${[...queues]}`);
  });

  // A client's channel may also hold an idle connection to the other proxy (grpc-js starts the next
  // address when the first is slow to connect): the proxy a client uses is the one its bytes go to.
  const PAYLOAD = Buffer.alloc(256 * 1024, 'x');

  test('20 clients on two proxies: both proxies get connections, none gets all 20', async (t) => {
    if (!cluster) return t.skip(skipReason);
    const topic = uniqueName('cs');
    await cluster.createTopic(topic, 'NORMAL', { queues: 2 });
    const ports = cluster.proxyEndpoints.map(portOf);
    const clients = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const p = new Producer({ endpoints: cluster!.endpoint, topics: [topic] });
        await p.start({ timeoutMs: 30_000 });
        return p;
      }),
    );
    try {
      const before = proxyConnections(ports);
      await Promise.all(clients.map((p) => p.send({ topic, body: PAYLOAD })));
      const busy = busyConnections(before, proxyConnections(ports), PAYLOAD.length);
      const used = ports.map((port) => busy.get(port) ?? 0);
      t.diagnostic(
        `clients per proxy (by the bytes they sent): ${ports.map((p, i) => `${p}=${used[i]}`).join(' ')}`,
      );
      assert.equal(used[0]! + used[1]!, 20, 'each client sent through one connection');
      for (const n of used) assert.ok(n > 0 && n < 20, `spread over both proxies: ${used}`);
    } finally {
      await Promise.all(clients.map((p) => p.shutdown({ timeoutMs: 2000 })));
    }
  });

  test('PushConsumer: its assignment covers both brokers; every message handled once', async (t) => {
    if (!cluster) return t.skip(skipReason);
    const topic = uniqueName('cp');
    const group = uniqueName('cp-g');
    await cluster.createTopic(topic, 'NORMAL', { queues: 4 });
    await cluster.createConsumerGroup(group);
    const brokerOf = new Map(
      cluster.masters.map((m, i) => [`127.0.0.1:${m.ports[1]}`, cluster!.brokerNames[i]!]),
    );
    const handled: MessageView[] = [];
    const w = waitFor(
      () => new Set(handled.map((m) => m.messageId)).size >= 100,
      60_000,
      '100 messages pushed',
    );
    const c = new PushConsumer({
      endpoints: cluster.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      listener: (m) => {
        handled.push(m);
        w.poke();
      },
    });
    closers.push(() => c.shutdown({ timeoutMs: 2000 }));
    await c.start({ timeoutMs: 30_000 });
    const p = await producer([topic]);
    const sent = new Set<string>();
    for (let i = 0; i < 100; i++) sent.add((await p.send({ topic, body: `p${i}` })).messageId);
    await w.done;
    assert.deepEqual(new Set(handled.map((m) => m.messageId)), sent, 'every message');
    assert.equal(handled.length, 100, 'each handled once');
    const brokers = new Set(handled.map((m) => brokerOf.get(m.storeHost ?? '')));
    assert.deepEqual([...brokers].sort(), ['broker-a', 'broker-b'], 'pushed from both brokers');
  });

  test(`SIGKILL of the proxy a producer uses: sends resume through the other within ${FAILOVER_BOUND_MS / 1000} s`, async (t) => {
    if (!cluster) return t.skip(skipReason);
    const topic = uniqueName('ck');
    await cluster.createTopic(topic, 'NORMAL', { queues: 2 });
    const ports = cluster.proxyEndpoints.map(portOf);
    const p = await producer([topic]);
    const before = proxyConnections(ports);
    await p.send({ topic, body: PAYLOAD });
    const busy = busyConnections(before, proxyConnections(ports), PAYLOAD.length);
    assert.equal(busy.size, 1, `the producer sends through one proxy: ${[...busy]}`);
    const used = ports.indexOf([...busy.keys()][0]!);

    let failures = 0;
    let sent = 0;
    let killedAt = 0;
    let resumedAt = 0;
    const loop = (async () => {
      while (!resumedAt) {
        const startedAt = Date.now();
        try {
          await p.send({ topic, body: `m${sent}` }, { timeoutMs: 3000 });
          sent++;
          // Only a send begun after the kill proves the traffic moved to the other proxy.
          if (killedAt && startedAt > killedAt) resumedAt = Date.now();
        } catch {
          failures++;
        }
        if (Date.now() - (killedAt || Date.now()) > FAILOVER_BOUND_MS + 10_000) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    while (sent < 5) await new Promise((r) => setTimeout(r, 20));
    killedAt = Date.now();
    await cluster.proxies[used]!.kill();
    await loop;
    assert.ok(resumedAt > 0, 'sends resumed');
    const gap = resumedAt - killedAt;
    t.diagnostic(
      `first send begun after the kill succeeded ${gap} ms after it; failed sends meanwhile: ${failures}`,
    );
    assert.ok(gap <= FAILOVER_BOUND_MS, `sends resumed after ${gap} ms`);
    const again = proxyConnections(ports);
    await p.send({ topic, body: PAYLOAD });
    const now = busyConnections(again, proxyConnections(ports), PAYLOAD.length);
    assert.deepEqual([...now.keys()], [ports[1 - used]], 'now sending through the other proxy');
  });
});
