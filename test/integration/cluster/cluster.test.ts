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
import { RocketMQError } from '../../../src/errors.js';
import type { MessageView } from '../../../src/model/message-view.js';
import type { Logger } from '../../../src/observability/logger.js';
import { Producer } from '../../../src/producer/producer.js';
import { ClientCore } from '../../../src/protocol/client-core.js';
import type { JvmCluster } from '../../../testcontainers/index.js';
import { eventually } from '../../helpers/admin-behaviours.js';
import { uniqueName } from '../../helpers/broker.js';
import { waitFor } from '../../helpers/wait-for.js';
import { AtLeastOnceLedger, classifyAckError, copyOf, ledgerKeyOf } from '../../helpers/at-least-once.js';
import {
  busyConnections,
  clusterOrReason,
  connectionsTo,
  portOf,
  proxyConnections,
} from '../../helpers/cluster.js';
import { drain, handleAndAck, sendKeyed } from '../../helpers/ledger-flows.js';

const FAILOVER_BOUND_MS = 15_000;
/**
 * A half message nobody ended is checked once older than the broker's `transactionTimeOut` (6 s), at a
 * pass of its check service (every 5 s on the test brokers), through a proxy that has told the broker of
 * the producer group: the live proxy learns the group from the producer's settings and heartbeats it to
 * the brokers every `transactionHeartbeatPeriodSecond` (20 s by default).
 */
const TX_CHECK_BOUND_MS = 45_000;
/** Invisible duration of the ledger consumer: short, so the drain's quiet window is short. */
const INVISIBLE_MS = 10_000;
/** Invisible duration of the batch received before the proxy kill and acked after it. */
const HELD_INVISIBLE_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

  test(`SIGKILL of the proxy the clients use: traffic resumes through the other within ${FAILOVER_BOUND_MS / 1000} s; telemetry re-opens and settings are sent again; messages received through the dead proxy are acked through the live one; a transaction left open is checked through the other proxy and committed; nothing lost`, async (t) => {
    if (!cluster) return t.skip(skipReason);
    const testStart = Date.now();
    const topic = uniqueName('ck');
    const probe = uniqueName('ck-probe'); // the large sends that tell which proxy the producer uses
    const txTopic = uniqueName('ck-tx');
    const group = uniqueName('ck-g');
    await cluster.createTopic(topic, 'NORMAL', { queues: 2 });
    await cluster.createTopic(probe, 'NORMAL', { queues: 2 });
    await cluster.createTopic(txTopic, 'TRANSACTION', { queues: 2 });
    await cluster.createConsumerGroup(group);
    const ports = cluster.proxyEndpoints.map(portOf);
    // The same address order for both clients (the access point's own), so one kill hits both.
    const first = () => 0;
    const checkedAt: number[] = [];
    const p = new Producer({
      endpoints: cluster.endpoint,
      topics: [topic, probe, txTopic],
      random: first,
      transactionChecker: (m) => {
        checkedAt.push(Date.now());
        return m.body.toString() === 'left open' ? 'COMMIT' : 'ROLLBACK';
      },
    });
    closers.push(() => p.shutdown({ timeoutMs: 2000 }));
    await p.start({ timeoutMs: 30_000 });
    // The consumer's telemetry states, from its debug log (a SimpleConsumer exposes no core).
    const consumerOpened: number[] = [];
    const logger: Logger = {
      debug: (msg, fields) => {
        if (msg === 'telemetry state changed' && fields?.to === 'open') consumerOpened.push(Date.now());
      },
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    };
    const c = new SimpleConsumer({
      endpoints: cluster.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*', [txTopic]: '*' },
      awaitDurationMs: 2000,
      random: first,
      logger,
    });
    closers.push(() => c.shutdown({ timeoutMs: 2000 }));
    await c.start({ timeoutMs: 30_000 });
    const before = proxyConnections(ports);
    await p.send({ topic: probe, body: PAYLOAD });
    const busy = busyConnections(before, proxyConnections(ports), PAYLOAD.length);
    assert.equal(busy.size, 1, `the producer sends through one proxy: ${[...busy]}`);
    const used = ports.indexOf([...busy.keys()][0]!);
    const live = ports[1 - used]!;
    const setupMs = Date.now() - testStart;

    // The producer's telemetry: the stream's states and the server's Settings answers, by time.
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
    const receivedAt: number[] = [];
    let loopPaused = true;
    const consumed = (async () => {
      while (!consuming.signal.aborted) {
        if (loopPaused) {
          await sleep(50);
          continue;
        }
        let views: MessageView[] = [];
        try {
          views = await c.receive(16, INVISIBLE_MS, { signal: consuming.signal });
        } catch {
          if (!consuming.signal.aborted) await sleep(200);
          continue;
        }
        if (views.length > 0) receivedAt.push(Date.now());
        for (const v of views) await handleAndAck(c, ledger, v, 'consumer');
      }
    })();
    t.after(() => {
      stop = true; // also when an assertion failed: no loop outlives its test
      consuming.abort();
    });
    // A batch received through the proxy about to die, acked only after it died: through the live one.
    while (ledger.sentCount < 20) await sleep(20);
    let held: MessageView[] = [];
    while (held.length === 0) held = await c.receive(8, HELD_INVISIBLE_MS);
    const heldAt = Date.now();
    for (const v of held) ledger.handled(ledgerKeyOf(v)!, { copy: copyOf(v), attempt: v.deliveryAttempt });
    loopPaused = false;
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
    const heldAcks = await Promise.all(
      held.map(async (v) => {
        // An ack that fails on the transport while the channel moves over is tried again.
        const key = ledgerKeyOf(v)!;
        for (let attempt = 1; ; attempt++) {
          try {
            await c.ack(v);
            ledger.acked(key, 'ok', { copy: copyOf(v) });
            return attempt === 1 ? 'ok' : `ok after ${attempt}`;
          } catch (err) {
            const outcome = classifyAckError(err);
            if (outcome === 'failed' || attempt >= 10) {
              ledger.acked(key, outcome, { copy: copyOf(v), err });
              return RocketMQError.from(err).code;
            }
            await sleep(500);
          }
        }
      }),
    );
    const heldAckedAt = Date.now();
    const deadline = killedAt + TX_CHECK_BOUND_MS + 10_000;
    while (Date.now() < deadline) {
      if (
        resumedAt &&
        opened.some((at) => at > killedAt) &&
        settingsAt.some((at) => at > killedAt) &&
        consumerOpened.some((at) => at > killedAt) &&
        receivedAt.some((at) => at > killedAt + 1000) &&
        checkedAt.some((at) => at > killedAt)
      )
        break;
      await sleep(100);
    }
    await sleep(2000); // a few more sends and receives through the live proxy
    const liveConnections = connectionsTo(ports);
    stop = true;
    await sending;
    consuming.abort();
    await consumed;

    const since = (times: number[], after = killedAt) =>
      (times.find((at) => at > after) ?? Number.NaN) - killedAt;
    const gap = resumedAt ? resumedAt - killedAt : Number.NaN;
    const reopen = since(opened);
    const resent = since(settingsAt);
    const consumerReopen = since(consumerOpened);
    const received = since(receivedAt, killedAt + 1000);
    const checked = since(checkedAt);
    t.diagnostic(
      `after the kill: first send begun after it ok at +${gap} ms (${failuresAfterKill} failed meanwhile); ` +
        `producer telemetry open at +${reopen} ms, its Settings answered at +${resent} ms; ` +
        `consumer telemetry open at +${consumerReopen} ms; messages received at +${received} ms; ` +
        `${held.length} held messages acked at +${heldAckedAt - killedAt} ms: ${heldAcks.join(',')}; ` +
        `the open transaction checked at +${checked} ms; ` +
        `connections to the live proxy: ${liveConnections.get(live)}, to the dead one: ${liveConnections.get(ports[used]!)}`,
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
    assert.ok((liveConnections.get(live) ?? 0) >= 2, 'both clients are connected to the live proxy');
    assert.equal(liveConnections.get(ports[used]!), 0, 'nothing is connected to the dead proxy');
    // Acked through the live proxy (or, past their invisible duration, they come back: the ledger).
    assert.ok(
      heldAckedAt - heldAt >= HELD_INVISIBLE_MS || heldAcks.every((o) => o.startsWith('ok')),
      `messages received through the dead proxy acked through the live one: ${heldAcks}`,
    );

    const again = proxyConnections(ports);
    await p.send({ topic: probe, body: PAYLOAD });
    const now = busyConnections(again, proxyConnections(ports), PAYLOAD.length);
    assert.deepEqual([...now.keys()], [live], 'now sending through the other proxy');

    // Messages received through the dead proxy and not acked come back through the live one; the
    // committed transaction's message is consumed (the ledger counts it as sent). The quiet window
    // outlasts the held batch's invisible duration, so a held ack that did not hold shows up.
    const quietMs = Math.max(INVISIBLE_MS + 1000, heldAt + HELD_INVISIBLE_MS + 1000 - Date.now());
    const drainStart = Date.now();
    await drain(c, ledger, { timeoutMs: 60_000, invisibleDurationMs: INVISIBLE_MS, quietMs });
    t.diagnostic(
      `setup ${setupMs} ms; kill at +${killedAt - testStart} ms; drain ${Date.now() - drainStart} ms (quiet window ${quietMs} ms)`,
    );
    const lost = ledger.report().lost;
    if (lost.length > 0) {
      // Evidence for a failure: whether the lost messages are stored, and where the group stands.
      const admin = new Admin({ namesrv: cluster.namesrv });
      await admin.start();
      try {
        const lag = await admin.lag(group, { topic });
        t.diagnostic(
          `lag per queue: ${lag.queues.map((q) => `${q.brokerName}/${q.queueId} ${q.consumerOffset}/${q.brokerOffset}`).join(', ')}`,
        );
        for (const key of lost.slice(0, 3)) {
          const found = await admin.findMessages(topic, key);
          t.diagnostic(
            `${key}: stored ${found.map((m) => `${m.storeHost} q${m.queueId}@${m.queueOffset}`).join(', ') || 'nowhere'}`,
          );
        }
      } finally {
        await admin.shutdown();
      }
    }
    ledger.assertHolds({ maxRedeliveries: 20, log: (l) => t.diagnostic(l) });
    assert.ok(ledger.deliveriesOf(txKey).length > 0, 'the committed transaction message consumed');
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
