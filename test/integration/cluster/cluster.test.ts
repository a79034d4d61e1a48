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
import { Admin } from '../../../src/admin/index.js';
import { PushConsumer } from '../../../src/consumer/push-consumer.js';
import { SimpleConsumer } from '../../../src/consumer/simple-consumer.js';
import type { MessageView } from '../../../src/model/message-view.js';
import { Producer } from '../../../src/producer/producer.js';
import { ClientCore } from '../../../src/protocol/client-core.js';
import type { JvmCluster } from '../../../testcontainers/index.js';
import { eventually } from '../../helpers/admin-behaviours.js';
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

  test('Admin on the cluster: createTopic gives a result per master, describe shows queues on both, lag of a group consumed on both falls to 0; a paused master is reported failed and the other ok', async (t) => {
    if (!cluster) return t.skip(skipReason);
    const c = cluster;
    const admin = new Admin({ namesrv: c.namesrv, requestTimeoutMs: 3_000 });
    closers.push(() => admin.shutdown({ timeoutMs: 2000 }));
    await admin.start();
    const topic = uniqueName('ca');
    const group = uniqueName('ca-g');
    const created = await admin.createTopic(topic, { queues: 2 });
    assert.deepEqual(created.map((r) => [r.brokerName, r.ok]).sort(), [
      ['broker-a', true],
      ['broker-b', true],
    ]);
    assert.ok((await admin.createGroup(group)).every((r) => r.ok));
    const d = await admin.describeTopic(topic);
    assert.deepEqual(
      d.brokers.map((b) => b.brokerName),
      ['broker-a', 'broker-b'],
    );
    assert.deepEqual(
      d.queues.map((q) => `${q.brokerName}/${q.queueId}`),
      ['broker-a/0', 'broker-a/1', 'broker-b/0', 'broker-b/1'],
    );

    // An earlier test may have killed a proxy: clients use the live ones.
    const endpoints = c.proxyEndpoints.filter((_, i) => c.proxies[i]!.alive).join(';');
    const p = new Producer({ endpoints, topics: [topic] });
    closers.push(() => p.shutdown({ timeoutMs: 2000 }));
    await p.start({ timeoutMs: 30_000 });
    const consumer = new SimpleConsumer({
      endpoints,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      awaitDurationMs: 5000,
    });
    closers.push(() => consumer.shutdown({ timeoutMs: 2000 }));
    await consumer.start({ timeoutMs: 30_000 });
    for (let i = 0; i < 20; i++) await p.send({ topic, body: `l${i}` });
    const lagOf = (want: (total: number, brokers: Set<string>) => boolean, what: string) =>
      eventually(what, 60_000, async () => {
        const l = await admin.lag(group, { topic });
        return want(l.totalLag, new Set(l.queues.filter((q) => q.lag > 0).map((q) => q.brokerName)))
          ? l
          : undefined;
      });
    await lagOf((total, brokers) => total === 20 && brokers.size === 2, 'lag of 20 on both brokers');
    const got = new Set<string>();
    const end = Date.now() + 60_000;
    while (got.size < 20 && Date.now() < end) {
      for (const m of await consumer.receive(32, 20_000)) {
        got.add(m.messageId);
        await consumer.ack(m);
      }
    }
    assert.equal(got.size, 20);
    const zero = await lagOf((total) => total === 0, 'lag of 0');
    assert.deepEqual([...new Set(zero.queues.map((q) => q.brokerName))].sort(), ['broker-a', 'broker-b']);

    // SIGSTOP broker-b: its request times out; broker-a's succeeds, each reported.
    const paused = c.masters[1]!;
    paused.pause();
    try {
      const partial = await admin.createTopic(uniqueName('ca-p'), { queues: 1, timeoutMs: 20_000 });
      const byName = new Map(partial.map((r) => [r.brokerName, r]));
      assert.equal(byName.get('broker-a')?.ok, true, JSON.stringify(partial));
      const b = byName.get('broker-b');
      assert.ok(b && !b.ok, JSON.stringify(partial));
      assert.equal(b.code, 'TIMEOUT', b.message);
    } finally {
      paused.resume();
    }
  });
});
