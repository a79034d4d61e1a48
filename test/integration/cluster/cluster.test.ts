/**
 * The client on a REAL RocketMQ cluster started by this file from the Maven jars: a name server, two
 * broker masters each with a slave, and two proxies in cluster mode, reached through the access point
 * `127.0.0.1:P1;127.0.0.1:P2`. One cluster serves every test of the file (one start, about a minute,
 * instead of one per scenario): the tests that leave the cluster as they found it run first; the broker
 * kill restarts its master on its store; the proxy kill runs last.
 *
 * Messages go through the at-least-once ledger (`test/helpers/at-least-once.ts`): 0 lost, duplicates
 * counted and bounded, 0 handled after a successful ack; FIFO order per message group.
 *
 * The harness starts the proxies with `sendLatencyEnable=true` (see `testcontainers/configs.ts`): the
 * proxy picks the broker of a non-FIFO send itself, and only its fault strategy keeps a client retry off
 * a dead broker. `ROCKETMQ_TS_CLUSTER_SEND_LATENCY=0` starts them with the proxy default (off), to
 * compare: the broker-kill test then reports the failed sends instead of asserting none.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PushConsumer } from '../../../src/consumer/push-consumer.js';
import { SimpleConsumer } from '../../../src/consumer/simple-consumer.js';
import type { MessageView } from '../../../src/model/message-view.js';
import type { Logger } from '../../../src/observability/logger.js';
import { Producer } from '../../../src/producer/producer.js';
import { QueueSelector } from '../../../src/producer/queue-selector.js';
import { ClientCore } from '../../../src/protocol/client-core.js';
import type { JvmCluster } from '../../../testcontainers/index.js';
import { AtLeastOnceLedger } from '../../helpers/at-least-once.js';
import { uniqueName } from '../../helpers/broker.js';
import { busyConnections, clusterOrReason, portOf, proxyConnections } from '../../helpers/cluster.js';
import { drain, type ErrorTally, handleAndAck, receiveLoop, sendKeyed } from '../../helpers/ledger-flows.js';
import { waitFor } from '../../helpers/wait-for.js';

const FAILOVER_BOUND_MS = 15_000;
/**
 * A half message is checked once older than the broker's `transactionTimeOut`, on its
 * `transactionCheckInterval`, through a proxy that has told the broker of the producer group (every
 * `transactionHeartbeatPeriodSecond`): 3 s, 3 s and 2 s on this test cluster.
 */
const TX_CHECK_BOUND_MS = 30_000;
const SEND_LATENCY = process.env.ROCKETMQ_TS_CLUSTER_SEND_LATENCY !== '0';
/** Invisible duration of the ledger consumers: short, so a drain's quiet window is short. */
const INVISIBLE_MS = 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`a cluster: two masters with slaves behind two cluster-mode proxies (sendLatencyEnable=${SEND_LATENCY})`, () => {
  let cluster: JvmCluster | undefined;
  let skipReason = '';
  const closers: Array<() => Promise<unknown>> = [];

  before(async () => {
    const c = await clusterOrReason({
      brokers: 2,
      proxies: 2,
      slaves: true,
      brokerProperties: { transactionTimeOut: 3000, transactionCheckInterval: 3000 },
      proxyConfig: { transactionHeartbeatPeriodSecond: 2 },
      ...(SEND_LATENCY
        ? {}
        : { proxyConfig: { transactionHeartbeatPeriodSecond: 2, sendLatencyEnable: false } }),
    });
    if (typeof c === 'string') skipReason = c;
    else {
      cluster = c;
      console.log(
        `[cluster] ${c.nodes.length} JVMs ready in ${c.startupMs} ms, RSS ${(c.rssBytes() / 2 ** 20).toFixed(0)} MiB`,
      );
    }
  });

  after(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await cluster?.stop();
  });

  const producer = async (
    topics: string[],
    extra: Partial<ConstructorParameters<typeof Producer>[0]> = {},
  ) => {
    const p = new Producer({ endpoints: cluster!.endpoint, topics, ...extra });
    closers.push(() => p.shutdown({ timeoutMs: 2000 }));
    await p.start({ timeoutMs: 30_000 });
    return p;
  };
  const simpleConsumer = async (
    topic: string,
    consumerGroup: string,
    extra: Partial<ConstructorParameters<typeof SimpleConsumer>[0]> = {},
  ) => {
    const c = new SimpleConsumer({
      endpoints: cluster!.endpoint,
      consumerGroup,
      subscriptions: { [topic]: '*' },
      awaitDurationMs: 2000,
      ...extra,
    });
    closers.push(() => c.shutdown({ timeoutMs: 2000 }));
    await c.start({ timeoutMs: 30_000 });
    return c;
  };
  /** Broker name by the store host a message carries (`127.0.0.1:<master port>`). */
  const brokerOf = (view: MessageView): string => {
    const i = cluster!.masters.findIndex((m) => `127.0.0.1:${m.ports[1]}` === view.storeHost);
    return cluster!.brokerNames[i] ?? `not a master: ${view.storeHost}`;
  };

  /** Waits (≤ 60 s) until the route of `topic` lists a slave of each master (a slave syncs topics late). */
  const waitForSlaves = async (core: ClientCore, topic: string) => {
    let route = await core.getRoute(topic);
    const end = Date.now() + 60_000;
    while (new Set(route.queues.filter((q) => q.brokerId !== 0).map((q) => q.brokerName)).size < 2) {
      if (Date.now() > end) break;
      await sleep(500);
      route = await core.routes.refresh(topic);
    }
    return route;
  };

  // Tests that leave the cluster as they found it, and measure nothing across clients, run together.
  describe('undisturbed', { concurrency: true }, () => {
    test('the route holds both brokers; sends spread over both; a message group stays on one queue, in order', async (t) => {
      if (!cluster) return t.skip(skipReason);
      const normal = uniqueName('cn');
      const fifo = uniqueName('cf');
      const normalGroup = uniqueName('cn-g');
      const fifoGroup = uniqueName('cf-g');
      await cluster.createTopic(normal, 'NORMAL', { queues: 4 });
      await cluster.createTopic(fifo, 'FIFO', { queues: 4 });
      await cluster.createConsumerGroup(normalGroup);
      await cluster.createConsumerGroup(fifoGroup, { fifo: true });

      const core = new ClientCore({
        clientType: 'producer',
        accessPoint: cluster.endpoint,
        topics: [normal],
      });
      closers.push(() => core.shutdown({ timeoutMs: 2000 }));
      await core.start({ timeoutMs: 30_000 });
      const route = await core.getRoute(normal);
      assert.deepEqual(
        [...new Set(route.queues.filter((q) => q.brokerId === 0).map((q) => q.brokerName))].sort(),
        ['broker-a', 'broker-b'],
      );
      for (const q of route.queues) {
        // Cluster mode: every queue carries the access point's addresses, with the ports we dialled.
        assert.deepEqual(
          q.endpoints.addresses.map((a) => `${a.host}:${a.port}`).sort(),
          [...cluster.proxyEndpoints].sort(),
        );
      }

      const p = await producer([normal, fifo]);
      const ledger = new AtLeastOnceLedger(normal);
      for (let i = 0; i < 100; i++) await sendKeyed(p, ledger, normal);
      for (let i = 0; i < 20; i++) await p.send({ topic: fifo, body: `g${i}`, messageGroup: 'order-1' });

      // Where a message went is what the broker stored (the proxy picks the queue of a non-FIFO send
      // itself, so the receipt's queue is only the client's proposal): read it back.
      const cn = await simpleConsumer(normal, normalGroup, { awaitDurationMs: 2000 });
      const perBroker = new Map<string, number>();
      const counting = {
        receive: (n: number, inv: number) =>
          cn.receive(n, inv).then((views) => {
            for (const v of views) perBroker.set(brokerOf(v), (perBroker.get(brokerOf(v)) ?? 0) + 1);
            return views;
          }),
        ack: (v: MessageView) => cn.ack(v),
      } as unknown as SimpleConsumer;
      const cf = await simpleConsumer(fifo, fifoGroup);
      const ordered: MessageView[] = [];
      const fifoDone = (async () => {
        const end = Date.now() + 60_000;
        while (ordered.length < 20 && Date.now() < end) {
          for (const m of await cf.receive(32, 20_000)) {
            ordered.push(m);
            await cf.ack(m);
          }
        }
      })();
      await drain(counting, ledger, { timeoutMs: 60_000, invisibleDurationMs: INVISIBLE_MS });
      await fifoDone;
      ledger.assertHolds({ maxDuplicates: 0, log: (l) => t.diagnostic(l) });
      t.diagnostic(`100 sends stored per broker: ${JSON.stringify([...perBroker])}`);
      assert.deepEqual([...perBroker.keys()].sort(), ['broker-a', 'broker-b']);
      for (const n of perBroker.values()) assert.ok(n >= 20, `both brokers take a share: ${[...perBroker]}`);

      assert.deepEqual(
        ordered.map((m) => m.body.toString()),
        Array.from({ length: 20 }, (_, i) => `g${i}`),
        'every message of the group, once, in order',
      );
      const queues = new Set(ordered.map((m) => `${brokerOf(m)}/${m.queueId}`));
      assert.equal(queues.size, 1, `one message group, one queue: ${[...queues]}`);
    });

    test('with slaves: the route lists them; the client never sends to a slave (brokerId ≠ 0)', async (t) => {
      if (!cluster) return t.skip(skipReason);
      const topic = uniqueName('sl');
      const group = uniqueName('sl-g');
      await cluster.createTopic(topic, 'NORMAL', { queues: 4 });
      await cluster.createConsumerGroup(group);
      const core = new ClientCore({ clientType: 'producer', accessPoint: cluster.endpoint, topics: [topic] });
      closers.push(() => core.shutdown({ timeoutMs: 2000 }));
      await core.start({ timeoutMs: 30_000 });
      // A slave registers the topic with the name server after it synced it from its master.
      const route = await waitForSlaves(core, topic);
      const ids = [...new Set(route.queues.map((q) => `${q.brokerName}/${q.brokerId}`))].sort();
      t.diagnostic(`route brokers: ${ids}; queues: ${route.queues.length}`);
      assert.deepEqual(ids, ['broker-a/0', 'broker-a/1', 'broker-b/0', 'broker-b/1'], 'masters and slaves');

      const selector = new QueueSelector();
      for (let i = 0; i < 1000; i++) {
        for (const q of selector.select(route, { count: 3 }))
          assert.equal(q.brokerId, 0, 'a slave queue was selected');
      }
      const p = await producer([topic]);
      const ledger = new AtLeastOnceLedger(topic);
      for (let i = 0; i < 50; i++) await sendKeyed(p, ledger, topic);
      const stores = new Set<string>();
      const c = await simpleConsumer(topic, group);
      const recording = {
        receive: (n: number, inv: number) =>
          c.receive(n, inv).then((views) => {
            for (const v of views) stores.add(brokerOf(v));
            return views;
          }),
        ack: (v: MessageView) => c.ack(v),
      } as unknown as SimpleConsumer;
      await drain(recording, ledger, { timeoutMs: 60_000, invisibleDurationMs: INVISIBLE_MS });
      ledger.assertHolds({ maxDuplicates: 0, log: (l) => t.diagnostic(l) });
      assert.deepEqual([...stores].sort(), ['broker-a', 'broker-b'], 'every message stored by a master');
    });

    test('PushConsumer: its assignment covers both brokers; every message handled once', async (t) => {
      if (!cluster) return t.skip(skipReason);
      const topic = uniqueName('cp');
      const group = uniqueName('cp-g');
      await cluster.createTopic(topic, 'NORMAL', { queues: 4 });
      await cluster.createConsumerGroup(group);
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
      const brokers = new Set(handled.map(brokerOf));
      assert.deepEqual([...brokers].sort(), ['broker-a', 'broker-b'], 'pushed from both brokers');
    });
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

  test('SIGKILL of a broker master during sends at 50 msg/s and consumption: no send fails; nothing lost after its restart', async (t) => {
    if (!cluster) return t.skip(skipReason);
    const topic = uniqueName('bk');
    const group = uniqueName('bk-g');
    await cluster.createTopic(topic, 'NORMAL', { queues: 4 });
    await cluster.createConsumerGroup(group);
    const p = await producer([topic]); // maxAttempts left at its default
    await waitForSlaves(p.core, topic);
    const c = await simpleConsumer(topic, group);
    const ledger = new AtLeastOnceLedger(topic);
    const sentAt = new Map<string, number>();
    const failures: string[] = [];
    let stop = false;
    const sending = (async () => {
      while (!stop) {
        const at = Date.now();
        const { key, receipt } = await sendKeyed(p, ledger, topic);
        if (receipt) sentAt.set(key, at);
        else failures.push(key);
        await sleep(20);
      }
    })();
    // While the master is down its slave serves reads (and answers TOPIC_NOT_FOUND for a topic it has
    // not synced yet): an application loop that keeps receiving whatever the broker says; errors tallied.
    const stores = new Map<string, string>(); // key → the broker that stored it
    const recording = {
      receive: (n: number, inv: number, o?: { signal?: AbortSignal }) =>
        c.receive(n, inv, o).then((views) => {
          for (const v of views) stores.set(v.keys[0] ?? '', brokerOf(v));
          return views;
        }),
      ack: (v: MessageView) => c.ack(v),
    } as unknown as SimpleConsumer;
    const consuming = new AbortController();
    const tally: ErrorTally = new Map();
    const consumed = receiveLoop(recording, ledger, {
      signal: consuming.signal,
      invisibleDurationMs: INVISIBLE_MS,
      tally,
    });
    t.after(() => {
      stop = true; // also when an assertion failed: no loop outlives its test
      consuming.abort();
    });
    const sentBy = async (n: number) => {
      const until = Date.now() + 180_000;
      while (sentAt.size < n) {
        if (Date.now() > until)
          throw new Error(`only ${sentAt.size} of ${n} sends acknowledged in 180 s (a loaded machine)`);
        await sleep(20);
      }
    };
    await sentBy(100);
    const killedAt = Date.now();
    await cluster.masters[0]!.kill();
    const atKill = sentAt.size;
    await sentBy(atKill + 400);
    stop = true;
    await sending;
    const report = ledger.report();
    t.diagnostic(
      `sent ${report.sent.total}: ${report.sent.ok} ok, ${report.sent.failed} failed, ${report.sent.unknown} unknown ` +
        `(${[...sentAt.values()].filter((at) => at > killedAt).length} begun after the kill); ` +
        `failed keys: ${failures.slice(0, 5).join(', ')}`,
    );
    const late = [...sentAt.entries()].filter(([, at]) => at > killedAt + 5000).map(([k]) => k);
    assert.ok(late.length > 100, 'sends continued after the kill');

    const restartAt = Date.now();
    await cluster.masters[0]!.restart();
    t.diagnostic(`broker-a restarted on its store in ${Date.now() - restartAt} ms`);
    consuming.abort();
    await consumed;
    t.diagnostic(`receive errors during the kill, by code: ${JSON.stringify([...tally])}`);
    await drain(recording, ledger, { timeoutMs: 90_000, invisibleDurationMs: INVISIBLE_MS });
    // A message handed out just before the kill by the dead broker comes back after its restart.
    ledger.assertHolds({ maxRedeliveries: 50, log: (l) => t.diagnostic(l) });
    if (SEND_LATENCY) assert.deepEqual(failures, [], 'no send failed to the caller');
    const lateBrokers = new Set(late.map((k) => stores.get(k)).filter((b) => b !== undefined));
    assert.deepEqual([...lateBrokers], ['broker-b'], 'while broker-a is down, sends go to broker-b');
  });

  test(`SIGKILL of the proxy the clients use: traffic resumes through the other within ${FAILOVER_BOUND_MS / 1000} s; telemetry re-opens and settings are sent again; a transaction left open is checked through the other proxy and committed; nothing lost`, async (t) => {
    if (!cluster) return t.skip(skipReason);
    const topic = uniqueName('ck');
    const probe = uniqueName('ck-probe'); // the large sends that tell which proxy the producer uses
    const txTopic = uniqueName('ck-tx');
    const group = uniqueName('ck-g');
    await cluster.createTopic(topic, 'NORMAL', { queues: 2 });
    await cluster.createTopic(txTopic, 'TRANSACTION', { queues: 2 });
    await cluster.createTopic(probe, 'NORMAL', { queues: 2 });
    await cluster.createConsumerGroup(group);
    const ports = cluster.proxyEndpoints.map(portOf);
    // The same address order for both clients (the first of the access point), so one kill hits both.
    const first = () => 0;
    const checkedAt: number[] = [];
    const p = await producer([topic, probe, txTopic], {
      random: first,
      transactionChecker: (m) => {
        checkedAt.push(Date.now());
        return m.body.toString() === 'left open' ? 'COMMIT' : 'ROLLBACK';
      },
    });
    const consumerLog: Array<{ at: number; msg: string; fields?: Record<string, unknown> }> = [];
    const logger: Logger = {
      debug: (msg, fields) => consumerLog.push({ at: Date.now(), msg, fields }),
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    };
    const c = await simpleConsumer(topic, group, {
      random: first,
      logger,
      subscriptions: { [topic]: '*', [txTopic]: '*' },
    });
    const before = proxyConnections(ports);
    await p.send({ topic: probe, body: PAYLOAD });
    const busy = busyConnections(before, proxyConnections(ports), PAYLOAD.length);
    assert.equal(busy.size, 1, `the producer sends through one proxy: ${[...busy]}`);
    const used = ports.indexOf([...busy.keys()][0]!);

    // The producer's telemetry: the stream's states and the server's Settings replies, by time.
    const opened: number[] = [];
    const settingsAt: number[] = [];
    p.core.on('telemetry.state', (s) => {
      if (s.to === 'open') opened.push(Date.now());
    });
    for (const s of p.core.sessions.values()) s.on('settings', () => settingsAt.push(Date.now()));

    const ledger = new AtLeastOnceLedger(topic);
    let killedAt = 0;
    let resumedAt = 0;
    let failuresAfterKill = 0;
    let stop = false;
    const sending = (async () => {
      while (!stop) {
        const startedAt = Date.now();
        const { receipt } = await sendKeyed(p, ledger, topic, { timeoutMs: 3000 });
        // Only a send begun after the kill proves the traffic moved to the other proxy.
        if (receipt && killedAt && startedAt > killedAt && !resumedAt) resumedAt = Date.now();
        if (!receipt && killedAt) failuresAfterKill++;
        await sleep(50);
      }
    })();
    const consuming = new AbortController();
    const handledAt: number[] = [];
    const recording = {
      receive: (n: number, inv: number, o?: { signal?: AbortSignal }) =>
        c.receive(n, inv, o).then((views) => {
          if (views.length > 0) handledAt.push(Date.now());
          return views;
        }),
      ack: (v: MessageView) => c.ack(v),
    } as unknown as SimpleConsumer;
    const consumed = (async () => {
      while (!consuming.signal.aborted) {
        let views: MessageView[] = [];
        try {
          views = await recording.receive(16, INVISIBLE_MS, { signal: consuming.signal });
        } catch {
          if (!consuming.signal.aborted) await sleep(200);
          continue;
        }
        for (const v of views) await handleAndAck(c, ledger, v, 'consumer');
      }
    })();
    t.after(() => {
      stop = true; // also when an assertion failed: no loop outlives its test
      consuming.abort();
    });
    const warm = Date.now() + 60_000;
    while (ledger.ackedCount < 10) {
      if (Date.now() > warm) throw new Error('10 messages not consumed in 60 s before the kill');
      await sleep(20);
    }
    // A transaction the application never ends, its half message sent through the proxy about to die.
    const txKey = ledger.nextKey();
    await ledger.send(txKey, () =>
      p.beginTransaction().send({ topic: txTopic, body: 'left open', keys: [txKey] }),
    );
    killedAt = Date.now();
    await cluster.proxies[used]!.kill();
    const deadline = killedAt + TX_CHECK_BOUND_MS + 10_000;
    while (Date.now() < deadline) {
      const consumerOpen = consumerLog.some((l) => l.at > killedAt && l.fields?.to === 'open');
      if (
        resumedAt &&
        opened.some((at) => at > killedAt) &&
        settingsAt.some((at) => at > killedAt) &&
        consumerOpen &&
        handledAt.some((at) => at > killedAt + 1000) &&
        checkedAt.some((at) => at > killedAt)
      )
        break;
      await sleep(100);
    }
    await sleep(2000); // a few more sends and receives through the live proxy
    stop = true;
    await sending;
    consuming.abort();
    await consumed;

    const gap = resumedAt ? resumedAt - killedAt : Number.NaN;
    const reopen = (opened.find((at) => at > killedAt) ?? Number.NaN) - killedAt;
    const resent = (settingsAt.find((at) => at > killedAt) ?? Number.NaN) - killedAt;
    const consumerReopen =
      (consumerLog.find((l) => l.at > killedAt && l.fields?.to === 'open')?.at ?? Number.NaN) - killedAt;
    const received = (handledAt.find((at) => at > killedAt + 1000) ?? Number.NaN) - killedAt;
    const checked = (checkedAt.find((at) => at > killedAt) ?? Number.NaN) - killedAt;
    t.diagnostic(
      `after the kill: first send begun after it ok at +${gap} ms (${failuresAfterKill} failed meanwhile); ` +
        `producer telemetry open at +${reopen} ms, its Settings answered at +${resent} ms; ` +
        `consumer telemetry open at +${consumerReopen} ms; messages received at +${received} ms; ` +
        `the open transaction checked at +${checked} ms`,
    );
    assert.ok(gap <= FAILOVER_BOUND_MS, `sends resumed after ${gap} ms`);
    assert.ok(reopen <= FAILOVER_BOUND_MS, `the producer's telemetry re-opened after ${reopen} ms`);
    assert.ok(resent <= FAILOVER_BOUND_MS, `the producer's settings were answered again after ${resent} ms`);
    assert.ok(
      consumerReopen <= FAILOVER_BOUND_MS,
      `the consumer's telemetry re-opened after ${consumerReopen} ms`,
    );
    assert.ok(received <= FAILOVER_BOUND_MS + 1000, `receiving resumed after ${received} ms`);
    assert.ok(checked <= TX_CHECK_BOUND_MS, `the open transaction was checked after ${checked} ms`);

    const again = proxyConnections(ports);
    await p.send({ topic: probe, body: PAYLOAD });
    const now = busyConnections(again, proxyConnections(ports), PAYLOAD.length);
    assert.deepEqual([...now.keys()], [ports[1 - used]], 'now sending through the other proxy');

    // Messages received through the dead proxy and not acked come back through the live one; the
    // committed transaction's message is consumed (the ledger counts it as sent).
    await drain(c, ledger, { timeoutMs: 60_000, invisibleDurationMs: INVISIBLE_MS });
    ledger.assertHolds({ maxRedeliveries: 50, log: (l) => t.diagnostic(l) });
  });
});
