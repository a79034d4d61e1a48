/**
 * `SimpleConsumer.messages()` on a REAL RocketMQ cluster (a name server, two broker masters, two
 * cluster-mode proxies, started by this file from the Maven jars): an idle broker's long poll never
 * delays the other broker's messages.
 *
 * 100 messages are sent 100 ms apart (the proxies spread them over both brokers) to a consumer
 * iterating `messages()` with a 20 s long poll. Each message's delivery time is from the start of its
 * send to its arrival in the loop. Bounds: p99 < 2 s, and a median within 2× the median of the same
 * run on the single local-mode broker (the runner's shared broker), measured in this file, plus twice
 * the cluster's extra proxy→broker hop (the difference of the two send medians). Every message is
 * received once and acked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import { SimpleConsumer } from '../../../src/consumer/simple-consumer.js';
import { Producer } from '../../../src/producer/producer.js';
import type { JvmCluster } from '../../../testcontainers/index.js';
import { uniqueName, useSharedBroker } from '../../helpers/broker.js';
import { clusterOrReason } from '../../helpers/cluster.js';
import { waitUntil } from '../../helpers/wait-for.js';

const MESSAGES = 100;
const GAP_MS = 100;
/** The long poll of the consumer: the delay an idle broker used to add. */
const AWAIT_MS = 20_000;
const P99_BOUND_MS = 2_000;

interface Run {
  /** Delivery time of each message, in send order (ms). */
  delays: number[];
  /** storeHost → messages stored there. */
  perHost: Map<string, number>;
  /** Duration of each send and each ack (ms): the round trips of this path. */
  sends: number[];
  acks: number[];
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(delays: readonly number[]): { p50: number; p99: number; max: number } {
  const sorted = [...delays].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1]! };
}

function describeRun(run: Run): string {
  const s = summary(run.delays);
  const median = (xs: number[]) => summary(xs).p50.toFixed(1);
  return (
    `delivery p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms; ` +
    `send p50 ${median(run.sends)} ms, ack p50 ${median(run.acks)} ms`
  );
}

/** Sends {@link MESSAGES} messages {@link GAP_MS} apart to a consumer iterating `messages()`. */
async function measure(t: TestContext, endpoint: string, topic: string, group: string): Promise<Run> {
  const producer = new Producer({ endpoints: endpoint, topics: [topic] });
  t.after(() => producer.shutdown({ timeoutMs: 2_000 }));
  await producer.start({ timeoutMs: 30_000 });
  const consumer = new SimpleConsumer({
    endpoints: endpoint,
    consumerGroup: group,
    subscriptions: { [topic]: '*' },
    awaitDurationMs: AWAIT_MS,
  });
  t.after(() => consumer.shutdown({ timeoutMs: 2_000 }));
  await consumer.start({ timeoutMs: 30_000 });

  const sentAt = new Map<string, number>();
  const deliveredAt = new Map<string, number>();
  const received = new Map<string, number>();
  const perHost = new Map<string, number>();
  const ackErrors: unknown[] = [];
  const sends: number[] = [];
  const acks: number[] = [];
  const pendingAcks: Promise<unknown>[] = [];
  const stop = new AbortController();
  const loop = (async () => {
    for await (const m of consumer.messages({ signal: stop.signal, invisibleDurationMs: 30_000 })) {
      const body = m.body.toString();
      if (!deliveredAt.has(body)) deliveredAt.set(body, performance.now());
      received.set(body, (received.get(body) ?? 0) + 1);
      perHost.set(m.storeHost ?? '?', (perHost.get(m.storeHost ?? '?') ?? 0) + 1);
      // Acked without holding the loop: the figure is the delivery, not the loop's ack throughput.
      const ackStart = performance.now();
      pendingAcks.push(
        consumer.ack(m).then(
          () => acks.push(performance.now() - ackStart),
          (err: unknown) => ackErrors.push(err),
        ),
      );
    }
  })();
  // Let the consumer's long polls reach the proxies before the first send.
  await new Promise((r) => setTimeout(r, 1_000));
  for (let i = 0; i < MESSAGES; i++) {
    const body = `m${i}`;
    const start = performance.now();
    sentAt.set(body, start);
    await producer.send({ topic, body });
    sends.push(performance.now() - start);
    const next = start + GAP_MS - performance.now();
    if (next > 0) await new Promise((r) => setTimeout(r, next));
  }
  await waitUntil(() => deliveredAt.size === MESSAGES, AWAIT_MS + 10_000, `all ${MESSAGES} messages`);
  // A short quiet window: a message received twice would show up here.
  await new Promise((r) => setTimeout(r, 1_000));
  stop.abort();
  await loop;
  await Promise.all(pendingAcks);

  assert.deepEqual(ackErrors, [], 'every ack succeeded');
  const twice = [...received].filter(([, n]) => n !== 1);
  assert.deepEqual(twice, [], 'every message received once');
  return {
    delays: [...sentAt].map(([body, at]) => deliveredAt.get(body)! - at),
    perHost,
    sends,
    acks,
  };
}

describe('messages() on a cluster: one long poll per broker', () => {
  const single = useSharedBroker({ before, after });
  let cluster: JvmCluster | undefined;
  let skipReason = '';
  let singleMedian: number | undefined;
  let singleSendMedian: number | undefined;

  before(async () => {
    const c = await clusterOrReason({ brokers: 2, proxies: 2 });
    if (typeof c === 'string') skipReason = c;
    else cluster = c;
  });

  after(async () => {
    await cluster?.stop();
  });

  test('the single local-mode broker: the reference median', async (t) => {
    if (!single.broker) return t.skip(single.skipReason);
    const topic = uniqueName('rs1');
    const group = uniqueName('rs1-g');
    await single.broker.createTopic(topic, 'NORMAL');
    await single.broker.createConsumerGroup(group);
    const run = await measure(t, single.broker.endpoint, topic, group);
    t.diagnostic(`single broker: ${describeRun(run)}`);
    singleMedian = summary(run.delays).p50;
    singleSendMedian = summary(run.sends).p50;
  });

  test(`${MESSAGES} messages over both brokers: p99 < ${P99_BOUND_MS} ms, median within 2× the single broker's`, async (t) => {
    if (!cluster) return t.skip(skipReason);
    const topic = uniqueName('rs');
    const group = uniqueName('rs-g');
    await cluster.createTopic(topic, 'NORMAL', { queues: 4 });
    await cluster.createConsumerGroup(group);
    const run = await measure(t, cluster.endpoint, topic, group);
    const s = summary(run.delays);
    t.diagnostic(`cluster: ${describeRun(run)}; stored per broker ${JSON.stringify([...run.perHost])}`);
    const hosts = new Map(
      cluster.masters.map((m, i) => [`127.0.0.1:${m.ports[1]}`, cluster!.brokerNames[i]!]),
    );
    assert.deepEqual(
      [...run.perHost.keys()].map((h) => hosts.get(h) ?? h).sort(),
      ['broker-a', 'broker-b'],
      'the messages are spread over both brokers',
    );
    for (const n of run.perHost.values())
      assert.ok(n >= 20, `both brokers take a share: ${[...run.perHost]}`);
    assert.ok(s.p99 < P99_BOUND_MS, `p99 ${s.p99.toFixed(1)} ms < ${P99_BOUND_MS} ms`);
    assert.ok(
      singleMedian !== undefined && singleSendMedian !== undefined,
      'the single-broker reference ran first',
    );
    // A cluster-mode proxy adds a hop to the broker that a local-mode proxy does not have; a delivery
    // crosses it twice (the send, the receive's answer). Its cost is measured in this run as the
    // difference of the send medians, and allowed on top of the 2× bound: what is bounded is the
    // client's own waiting.
    const hop = Math.max(0, summary(run.sends).p50 - singleSendMedian);
    const bound = 2 * singleMedian + 2 * hop;
    assert.ok(
      s.p50 <= bound,
      `median ${s.p50.toFixed(1)} ms within 2× the single broker's ${singleMedian.toFixed(1)} ms + twice ` +
        `the cluster hop ${hop.toFixed(1)} ms (${bound.toFixed(1)} ms)`,
    );
  });
});
