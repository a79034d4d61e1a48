/**
 * The broker contract (issue B): ONE set of behavioural tests run against the in-process broker
 * (`test/component/contract-in-process.test.ts`) and against a real Apache RocketMQ 5.x proxy
 * (`test/integration/contract-real.test.ts`), so the two cannot drift. Every case states what a
 * real proxy (5.4) does; when a case fails on the real broker the case is right by definition and
 * the in-process broker must change.
 *
 * Clients go through the library's own layers (see `driver.ts`). Every case uses its own topics
 * and groups, so the cases run concurrently.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, type TestContext, test } from 'node:test';
import {
  ClientType,
  Code,
  DigestType,
  type Message,
  MessageType,
  Permission,
} from '../../src/gen/apache/rocketmq/v2/definition_pb.js';
import { durationToMs } from '../../src/protocol/convert.js';
import { uniqueName } from '../helpers/broker.js';
import { skipOrFailInCi } from '../helpers/ci.js';
import {
  BareClient,
  ContractConsumer,
  type ContractCredentials,
  ContractProducer,
  idOf,
  MIN_POLL_MS,
  type ReceiveResult,
} from './driver.js';

export type ContractTopicType = 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION';

/** What a target can do, reported by the target itself (never guessed by the suite). */
export interface ContractCapabilities {
  /** SQL92 filtering is enabled (broker `enablePropertyFilter`). */
  readonly sqlFilter: boolean;
  /** Smallest accepted `invisible_duration` on receive (proxy `minInvisibleTimeMillsForRecv`). */
  readonly minInvisibleMs: number;
}

/** A broker the contract runs against. */
export interface ContractTarget {
  /** gRPC endpoint of the proxy, `host:port`. */
  readonly endpoint: string;
  /** Creates a topic of this message type; resolves once it is routable. */
  createTopic(name: string, type: ContractTopicType): Promise<void> | void;
  /** Creates a consumer group (`maxDeliveryAttempts` = retry max times + 1). */
  createConsumerGroup(
    name: string,
    options?: { fifo?: boolean; maxDeliveryAttempts?: number },
  ): Promise<void> | void;
  readonly capabilities: ContractCapabilities;
  /** Credentials every client signs with (brokers with authentication on). */
  readonly credentials?: ContractCredentials | undefined;
  /** Releases the target (called once, after every case). */
  close(): Promise<void> | void;
}

/**
 * Provides the target once for the whole contract. Resolving to a string instead means "no target
 * here" and skips every case with that string as the reason (the factory decides when that is
 * allowed — e.g. never under CI=true); rejecting fails the contract.
 */
export type ContractTargetFactory = () => Promise<ContractTarget | string>;

const MiB = 1024 * 1024;
/** Invisibility for messages a case holds in flight on purpose (≥ any proxy minimum). */
const HOLD_MS = 60_000;
/** How long a case waits for something that must happen. */
const BUDGET_MS = 30_000;
/** A delay message may surface this much before its delivery time (broker `timerPrecisionMs`: 1 s slots). */
const DELAY_EARLY_TOLERANCE_MS = 1_000;

const md5Upper = (b: Uint8Array) => createHash('md5').update(b).digest('hex').toUpperCase();
const ids = (ms: readonly Message[]) => ms.map(idOf);
const portOf = (endpoint: string) => Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));

/** Registers the broker contract as `describe(name)` with one test per behaviour. */
export function defineBrokerContract(name: string, target: ContractTargetFactory): void {
  describe(`broker contract: ${name}`, { concurrency: true }, () => {
    let broker: ContractTarget | undefined;
    let skipReason = '';
    const started = Date.now();

    before(async () => {
      const t = await target();
      if (typeof t === 'string') skipReason = t;
      else broker = t;
    });

    after(async () => {
      await broker?.close();
      console.log(`[contract:${name}] wall time ${Date.now() - started} ms`);
    });

    /** The target, or undefined after marking the test skipped. */
    const need = (t: TestContext): ContractTarget | undefined => {
      if (!broker) t.skip(skipReason);
      return broker;
    };

    async function producer(t: TestContext, b: ContractTarget, topics: string[]) {
      const p = await ContractProducer.start(b.endpoint, topics, b.credentials);
      t.after(() => p.close());
      return p;
    }

    async function consumer(
      t: TestContext,
      b: ContractTarget,
      group: string,
      topic: string,
      filter?: { type: 'tag' | 'sql'; expression: string },
    ) {
      const c = await ContractConsumer.start(b.endpoint, group, topic, filter, b.credentials);
      t.after(() => c.close());
      return c;
    }

    /** One receive of the minimum polling time that must deliver nothing of `forbidden`. */
    async function assertNothingDelivered(c: ContractConsumer, forbidden: string[], what: string) {
      const r: ReceiveResult = await c.receive({ invisibleMs: HOLD_MS, pollMs: MIN_POLL_MS });
      const got = ids(r.messages);
      assert.deepEqual(
        got.filter((id) => forbidden.includes(id)),
        [],
        `${what}: delivered ${got.join(', ')}`,
      );
      return got;
    }

    // ── 1 ──────────────────────────────────────────────────────────────────────────────────────
    test('QueryRoute: queues, READ_WRITE and accepted types per topic type; unknown topic → TOPIC_NOT_FOUND', async (t) => {
      const b = need(t);
      if (!b) return;
      const types: ContractTopicType[] = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'];
      const topics = types.map((type) => ({ type, topic: uniqueName(`c-route-${type.toLowerCase()}`) }));
      await Promise.all(topics.map(({ type, topic }) => b.createTopic(topic, type)));
      const client = new BareClient(b.endpoint, b.credentials);
      t.after(() => client.close());

      for (const { type, topic } of topics) {
        const res = await client.queryRoute(topic);
        assert.equal(res.status?.code, Code.OK, `${type}: ${res.status?.message}`);
        assert.ok(res.messageQueues.length >= 1, `${type}: at least one queue`);
        assert.ok(
          res.messageQueues.some((q) => q.permission === Permission.READ_WRITE),
          `${type}: a READ_WRITE queue`,
        );
        for (const q of res.messageQueues) {
          assert.equal(q.topic?.name, topic);
          assert.ok(q.broker?.name, 'broker name');
          assert.equal(q.broker?.id, 0, 'master broker');
          assert.equal(q.broker?.endpoints?.addresses[0]?.port, portOf(b.endpoint), 'served by the endpoint');
          assert.deepEqual(q.acceptMessageTypes, [MessageType[type]], `${type}: accept_message_types`);
        }
      }

      const missing = await client.queryRoute(uniqueName('c-route-missing'));
      assert.equal(missing.status?.code, Code.TOPIC_NOT_FOUND);
      assert.equal(missing.messageQueues.length, 0);
    });

    // ── 2 ──────────────────────────────────────────────────────────────────────────────────────
    test('Settings handshake: producer policy, consumer subscription back; Heartbeat before Settings → 40015', async (t) => {
      const b = need(t);
      if (!b) return;
      const topic = uniqueName('c-settings');
      const fifoTopic = uniqueName('c-settings-fifo');
      const group = uniqueName('c-settings-g');
      const fifoGroup = uniqueName('c-settings-fg');
      await Promise.all([
        b.createTopic(topic, 'NORMAL'),
        b.createTopic(fifoTopic, 'FIFO'),
        b.createConsumerGroup(group, { maxDeliveryAttempts: 4 }),
        b.createConsumerGroup(fifoGroup, { fifo: true, maxDeliveryAttempts: 3 }),
      ]);
      const clients = [0, 1, 2, 3].map(() => new BareClient(b.endpoint, b.credentials));
      t.after(() => {
        for (const c of clients) c.close();
      });
      const [p, c, fc, fresh] = clients as [BareClient, BareClient, BareClient, BareClient];

      // Heartbeat from a client that never sent Settings.
      const hbProducer = await fresh.heartbeat(ClientType.PRODUCER);
      assert.equal(hbProducer.status?.code, Code.UNRECOGNIZED_CLIENT_TYPE, hbProducer.status?.message);
      const hbConsumer = await fresh.heartbeat(ClientType.SIMPLE_CONSUMER, group);
      assert.equal(hbConsumer.status?.code, Code.UNRECOGNIZED_CLIENT_TYPE, hbConsumer.status?.message);

      const [pAnswer, cAnswer, fAnswer] = await Promise.all([
        p.handshake({ kind: 'producer', topics: [topic] }),
        c.handshake({ kind: 'simple-consumer', group, topic, tags: 'a||b' }),
        fc.handshake({ kind: 'simple-consumer', group: fifoGroup, topic: fifoTopic, tags: '*' }),
      ]);

      // Producer: max body size and a backoff policy.
      assert.equal(pAnswer.status?.code, Code.OK);
      assert.equal(pAnswer.command.case, 'settings');
      const ps = pAnswer.command.case === 'settings' ? pAnswer.command.value : undefined;
      assert.equal(ps?.pubSub.case, 'publishing');
      if (ps?.pubSub.case === 'publishing') {
        assert.equal(ps.pubSub.value.maxBodySize, 4 * MiB);
        assert.equal(ps.pubSub.value.validateMessageType, true);
        assert.deepEqual(
          ps.pubSub.value.topics.map((x) => x.name),
          [topic],
        );
      }
      // Proxy defaults grpcClientProducerMaxAttempts 3, backoff 10 ms → 1 s, ×2.
      assert.equal(ps?.backoffPolicy?.maxAttempts, 3, 'producer max attempts');
      const strategy = ps?.backoffPolicy?.strategy;
      assert.equal(strategy?.case, 'exponentialBackoff');
      if (strategy?.case === 'exponentialBackoff') {
        assert.equal(durationToMs(strategy.value.initial), 10);
        assert.equal(durationToMs(strategy.value.max), 1000);
        assert.equal(strategy.value.multiplier, 2);
      }

      // Simple consumer: its subscription back, with the group's policy merged in.
      for (const [answer, g, tp, expr, fifo, attempts] of [
        [cAnswer, group, topic, 'a||b', false, 4],
        [fAnswer, fifoGroup, fifoTopic, '*', true, 3],
      ] as const) {
        assert.equal(answer.status?.code, Code.OK);
        const s = answer.command.case === 'settings' ? answer.command.value : undefined;
        assert.equal(s?.pubSub.case, 'subscription', `${g}: subscription settings`);
        if (s?.pubSub.case !== 'subscription') continue;
        const sub = s.pubSub.value;
        assert.equal(sub.group?.name, g);
        assert.equal(sub.subscriptions.length, 1);
        assert.equal(sub.subscriptions[0]?.topic?.name, tp);
        assert.equal(sub.subscriptions[0]?.expression?.expression, expr);
        assert.equal(sub.fifo, fifo, `${g}: fifo`);
        assert.equal(s.backoffPolicy?.maxAttempts, attempts, `${g}: max delivery attempts`);
        // Proxy defaults grpcClientConsumerLongPollingBatchSize 32, max long polling 20 s.
        assert.equal(sub.receiveBatchSize, 32, `${g}: receive batch size`);
        assert.equal(durationToMs(sub.longPollingTimeout), 20_000, `${g}: long polling timeout`);
      }

      // After Settings the same client's Heartbeat is accepted.
      const hbAfter = await c.heartbeat(ClientType.SIMPLE_CONSUMER, group);
      assert.equal(hbAfter.status?.code, Code.OK, hbAfter.status?.message);

      // The library's ClientCore applies the server's producer settings.
      const core = await producer(t, b, [topic]);
      const eff = core.core.settings.current;
      assert.equal(eff.fromServer, true);
      assert.equal(eff.maxBodySizeBytes, 4 * MiB);
      assert.equal(eff.retryPolicy?.backoff.kind, 'exponential');
    });

    // ── 3 ──────────────────────────────────────────────────────────────────────────────────────
    test('send → receive → ack: round trip, attempt 1, MD5 digest; acked not redelivered, un-acked back with attempt 2', async (t) => {
      const b = need(t);
      if (!b) return;
      const topic = uniqueName('c-flow');
      const group = uniqueName('c-flow-g');
      await Promise.all([b.createTopic(topic, 'NORMAL'), b.createConsumerGroup(group)]);
      const [p, c] = await Promise.all([producer(t, b, [topic]), consumer(t, b, group, topic)]);
      const invisibleMs = b.capabilities.minInvisibleMs;

      const body = Buffer.from(`contract body ${Date.now()} ✓`);
      const sent = await p.send({
        topic,
        body,
        tag: 'TagA',
        keys: ['k1', 'k2'],
        properties: { color: 'blue', 'x-request-id': 'req-1' },
      });
      const control = await p.send({ topic, body: 'control', tag: 'Control' });
      assert.ok(sent.entry.offset >= 0n);

      let first: Message | undefined;
      let firstControl: Message | undefined;
      await c.receiveUntil(() => first !== undefined && firstControl !== undefined, {
        invisibleMs,
        budgetMs: BUDGET_MS,
        // Ack the message at once (before its invisibility can lapse); leave the control in flight.
        onMessage: async (m) => {
          if (idOf(m) === sent.id && !first) {
            first = m;
            await c.ackOk(m);
          } else if (idOf(m) === control.id && !firstControl) {
            firstControl = m;
          }
        },
      });
      assert.ok(first, 'the message was received');
      assert.ok(firstControl, 'the control message was received');

      const sys = first.systemProperties;
      assert.deepEqual(Buffer.from(first.body), body);
      assert.equal(first.topic?.name, topic);
      assert.equal(sys?.tag, 'TagA');
      assert.deepEqual([...(sys?.keys ?? [])].sort(), ['k1', 'k2']);
      assert.deepEqual({ ...first.userProperties }, { color: 'blue', 'x-request-id': 'req-1' });
      assert.equal(sys?.messageType, MessageType.NORMAL);
      assert.equal(sys?.deliveryAttempt, 1);
      assert.ok(sys?.receiptHandle, 'receipt handle');
      assert.equal(sys?.bodyDigest?.type, DigestType.MD5, 'MD5 body digest');
      assert.equal(sys?.bodyDigest?.checksum, md5Upper(body), 'digest is the uppercase MD5 of the body');
      const view = c.decode(first);
      assert.equal(view.corrupted, false, view.decodeError);
      assert.deepEqual(view.body, body);
      assert.equal(firstControl.systemProperties?.deliveryAttempt, 1);

      // After the invisibility the control comes back (attempt 2); the acked message never does.
      const redeliveryFrom = Date.now();
      const again = await c.receiveUntil((seen) => seen.some((m) => idOf(m) === control.id), {
        invisibleMs,
        budgetMs: invisibleMs + BUDGET_MS,
      });
      assert.ok(!ids(again).includes(sent.id), 'an acked message is not redelivered');
      const back = again.find((m) => idOf(m) === control.id);
      assert.ok(back, 'the un-acked control message is redelivered after its invisibility');
      t.diagnostic(`control redelivered ${Date.now() - redeliveryFrom} ms after the first delivery`);
      assert.equal(back.systemProperties?.deliveryAttempt, 2);
      assert.notEqual(back.systemProperties?.receiptHandle, firstControl.systemProperties?.receiptHandle);
    });

    // ── 4 ──────────────────────────────────────────────────────────────────────────────────────
    test('ChangeInvisibleDuration returns a new receipt handle; ack with it succeeds', async (t) => {
      const b = need(t);
      if (!b) return;
      const topic = uniqueName('c-cid');
      const group = uniqueName('c-cid-g');
      await Promise.all([b.createTopic(topic, 'NORMAL'), b.createConsumerGroup(group)]);
      const [p, c] = await Promise.all([producer(t, b, [topic]), consumer(t, b, group, topic)]);
      const sent = await p.send({ topic, body: 'change me' });

      const [m] = await c.receiveUntil((seen) => seen.length > 0, {
        invisibleMs: HOLD_MS,
        budgetMs: BUDGET_MS,
      });
      assert.ok(m, 'received');
      assert.equal(idOf(m), sent.id);
      const oldHandle = m.systemProperties?.receiptHandle ?? '';

      const res = await c.changeInvisibleDuration(m, oldHandle, HOLD_MS * 2);
      assert.equal(res.status?.code, Code.OK, res.status?.message);
      assert.ok(res.receiptHandle, 'a receipt handle is returned');
      assert.notEqual(res.receiptHandle, oldHandle, 'the receipt handle changes');

      const acked = await c.ack(m, res.receiptHandle);
      assert.equal(acked?.code, Code.OK, acked?.message);
    });

    // ── 5 ──────────────────────────────────────────────────────────────────────────────────────
    test('TAG filter a||b delivers exactly the a and b messages', async (t) => {
      const b = need(t);
      if (!b) return;
      const topic = uniqueName('c-tag');
      const group = uniqueName('c-tag-g');
      await Promise.all([b.createTopic(topic, 'NORMAL'), b.createConsumerGroup(group)]);
      const [p, c] = await Promise.all([
        producer(t, b, [topic]),
        consumer(t, b, group, topic, { type: 'tag', expression: 'a||b' }),
      ]);
      const a = await p.send({ topic, body: 'a', tag: 'a' });
      const cc = await p.send({ topic, body: 'c', tag: 'c' });
      const bb = await p.send({ topic, body: 'b', tag: 'b' });
      const none = await p.send({ topic, body: 'untagged' });

      const want = [a.id, bb.id].sort();
      const seen = await c.receiveUntil((s) => want.every((id) => ids(s).includes(id)), {
        invisibleMs: HOLD_MS,
        budgetMs: BUDGET_MS,
      });
      const later = await assertNothingDelivered(c, [cc.id, none.id], 'after a and b');
      assert.deepEqual([...ids(seen), ...later].sort(), want, 'exactly the a and b messages');
    });

    test('SQL92 filter delivers exactly the matching messages (capability sqlFilter)', async (t) => {
      const b = need(t);
      if (!b) return;
      if (!b.capabilities.sqlFilter) {
        return skipOrFailInCi(t, 'this target reports sqlFilter=false (broker enablePropertyFilter is off)');
      }
      const topic = uniqueName('c-sql');
      const group = uniqueName('c-sql-g');
      await Promise.all([b.createTopic(topic, 'NORMAL'), b.createConsumerGroup(group)]);
      const expression = "color = 'red' OR (n BETWEEN 2 AND 4)";
      const [p, c] = await Promise.all([
        producer(t, b, [topic]),
        consumer(t, b, group, topic, { type: 'sql', expression }),
      ]);
      const specs: Array<[Record<string, string> | undefined, boolean]> = [
        [{ color: 'red', n: '9' }, true],
        [{ color: 'blue', n: '3' }, true],
        [{ color: 'green', n: '7' }, false],
        [{ color: 'blue', n: '5' }, false],
        [undefined, false],
      ];
      const sent = [];
      for (const [properties, match] of specs) {
        const s = await p.send({
          topic,
          body: JSON.stringify(properties ?? {}),
          ...(properties ? { properties } : {}),
        });
        sent.push({ id: s.id, match });
      }
      const want = sent
        .filter((s) => s.match)
        .map((s) => s.id)
        .sort();
      const seen = await c.receiveUntil((s) => want.every((id) => ids(s).includes(id)), {
        invisibleMs: HOLD_MS,
        budgetMs: BUDGET_MS,
      });
      const others = sent.filter((s) => !s.match).map((s) => s.id);
      const later = await assertNothingDelivered(c, others, 'after the matching messages');
      assert.deepEqual([...ids(seen), ...later].sort(), want, 'exactly the matching messages');
    });

    // ── 6 ──────────────────────────────────────────────────────────────────────────────────────
    test('validation codes: empty body 41302, tag with | 40004, reserved property 40007, NORMAL→FIFO 40014, invisible < min 40011', async (t) => {
      const b = need(t);
      if (!b) return;
      const topic = uniqueName('c-valid');
      const fifoTopic = uniqueName('c-valid-fifo');
      const group = uniqueName('c-valid-g');
      await Promise.all([
        b.createTopic(topic, 'NORMAL'),
        b.createTopic(fifoTopic, 'FIFO'),
        b.createConsumerGroup(group),
      ]);
      const [p, c] = await Promise.all([producer(t, b, [topic, fifoTopic]), consumer(t, b, group, topic)]);

      // Valid messages from the codec, then one field broken on the wire (the client would refuse them).
      const emptyBody = p.message({ topic, body: 'x' });
      emptyBody.body = new Uint8Array(0);
      const barTag = p.message({ topic, body: 'x', tag: 'ok' });
      barTag.systemProperties!.tag = 'a|b';
      const reserved = p.message({ topic, body: 'x' });
      reserved.userProperties.UNIQ_KEY = 'mine';
      const normalToFifo = p.message({ topic: fifoTopic, body: 'x' });

      const cases: Array<[string, Message, Code]> = [
        ['empty body', emptyBody, Code.MESSAGE_BODY_EMPTY],
        ['tag containing |', barTag, Code.ILLEGAL_MESSAGE_TAG],
        ['reserved property key UNIQ_KEY', reserved, Code.ILLEGAL_MESSAGE_PROPERTY_KEY],
        ['NORMAL message to a FIFO topic', normalToFifo, Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE],
      ];
      const answers = await Promise.all(cases.map(([, m]) => p.sendRaw([m])));
      for (const [i, [what, , code]] of cases.entries()) {
        const res = answers[i]!;
        assert.equal(res.status?.code, code, `${what}: ${res.status?.code} ${res.status?.message}`);
      }

      const r = await c.receive({ invisibleMs: b.capabilities.minInvisibleMs - 1 });
      assert.deepEqual(r.statuses, [Code.ILLEGAL_INVISIBLE_TIME], `invisible < min: ${r.statusMessages}`);
      assert.equal(r.messages.length, 0);
    });

    // ── 7 ──────────────────────────────────────────────────────────────────────────────────────
    test('FIFO: a group is received in send order; the next is held back while the previous is in flight', async (t) => {
      const b = need(t);
      if (!b) return;
      const topic = uniqueName('c-fifo');
      const group = uniqueName('c-fifo-g');
      await Promise.all([b.createTopic(topic, 'FIFO'), b.createConsumerGroup(group, { fifo: true })]);
      const [p, c] = await Promise.all([producer(t, b, [topic]), consumer(t, b, group, topic)]);
      assert.equal(c.core.settings.current.fifo, true, 'the consumer learns the group is FIFO');
      const messageGroup = `order-${Date.now()}`;
      const sent: string[] = [];
      for (const i of [1, 2, 3]) {
        const s = await p.send({ topic, body: `step ${i}`, messageGroup });
        assert.equal(s.message.systemProperties?.messageType, MessageType.FIFO);
        sent.push(s.id);
      }

      const [m1, ...rest] = await c.receiveUntil((s) => s.length > 0, {
        invisibleMs: HOLD_MS,
        batch: 1,
        budgetMs: BUDGET_MS,
      });
      assert.equal(rest.length, 0, 'batch size 1');
      assert.ok(m1);
      assert.equal(idOf(m1), sent[0], 'the first message of the group comes first');
      assert.equal(m1.systemProperties?.messageGroup, messageGroup);

      const held = await assertNothingDelivered(c, sent, 'while the first is in flight');
      assert.deepEqual(held, [], 'nothing else is delivered while the first is in flight');

      await c.ackOk(m1);
      const next = await c.receiveUntil((s) => s.length >= 2, {
        invisibleMs: HOLD_MS,
        budgetMs: BUDGET_MS,
        onMessage: (m) => c.ackOk(m),
      });
      assert.deepEqual(ids(next), sent.slice(1), 'the rest in send order');
      for (const m of next) assert.equal(m.systemProperties?.deliveryAttempt, 1);
    });

    // ── 8 ──────────────────────────────────────────────────────────────────────────────────────
    test('DELAY: not received before its delivery time, received after; the send entry has a recall handle', async (t) => {
      const b = need(t);
      if (!b) return;
      const topic = uniqueName('c-delay');
      const group = uniqueName('c-delay-g');
      await Promise.all([b.createTopic(topic, 'DELAY'), b.createConsumerGroup(group)]);
      const [p, c] = await Promise.all([producer(t, b, [topic]), consumer(t, b, group, topic)]);

      const deliverAt = Date.now() + 3_000;
      const sent = await p.send({ topic, body: 'later', deliveryTimestamp: deliverAt });
      assert.equal(sent.message.systemProperties?.messageType, MessageType.DELAY);
      assert.ok(sent.entry.recallHandle, 'a delay message gets a recall handle');

      let receivedAt = 0;
      const seen = await c.receiveUntil((s) => s.length > 0, {
        invisibleMs: HOLD_MS,
        budgetMs: BUDGET_MS,
        onMessage: () => {
          receivedAt ||= Date.now();
        },
      });
      assert.deepEqual(ids(seen), [sent.id]);
      const early = deliverAt - receivedAt;
      t.diagnostic(`received ${receivedAt - deliverAt} ms after its delivery time`);
      assert.ok(
        early <= DELAY_EARLY_TOLERANCE_MS,
        `received ${early} ms before its delivery time (tolerance ${DELAY_EARLY_TOLERANCE_MS} ms)`,
      );
      assert.ok(receivedAt - deliverAt < 15_000, `received ${receivedAt - deliverAt} ms late`);
      const sys = seen[0]!.systemProperties;
      assert.equal(sys?.messageType, MessageType.DELAY);
      assert.equal(c.decode(seen[0]!).deliveryTimestamp?.getTime(), deliverAt);
    });

    // ── 9 ──────────────────────────────────────────────────────────────────────────────────────
    test('TRANSACTION: half messages invisible; COMMIT delivers, ROLLBACK never does', async (t) => {
      const b = need(t);
      if (!b) return;
      const topic = uniqueName('c-tx');
      const group = uniqueName('c-tx-g');
      await Promise.all([b.createTopic(topic, 'TRANSACTION'), b.createConsumerGroup(group)]);
      const [p, c] = await Promise.all([producer(t, b, [topic]), consumer(t, b, group, topic)]);

      const commit = await p.send({ topic, body: 'commit me' }, { transactional: true });
      const rollback = await p.send({ topic, body: 'roll me back' }, { transactional: true });
      assert.equal(commit.message.systemProperties?.messageType, MessageType.TRANSACTION);
      assert.ok(commit.entry.transactionId, 'a transaction id');
      assert.ok(rollback.entry.transactionId, 'a transaction id');

      await assertNothingDelivered(c, [commit.id, rollback.id], 'half messages');

      const [ec, er] = await Promise.all([
        p.endTransaction(topic, commit.id, commit.entry.transactionId, true),
        p.endTransaction(topic, rollback.id, rollback.entry.transactionId, false),
      ]);
      assert.equal(ec.status?.code, Code.OK, `COMMIT: ${ec.status?.message}`);
      assert.equal(er.status?.code, Code.OK, `ROLLBACK: ${er.status?.message}`);

      const seen = await c.receiveUntil((s) => ids(s).includes(commit.id), {
        invisibleMs: HOLD_MS,
        budgetMs: BUDGET_MS,
      });
      const later = await assertNothingDelivered(c, [rollback.id], 'after the rollback');
      assert.deepEqual([...ids(seen), ...later], [commit.id], 'only the committed message, once');
      // The proxy derives the type from the stored TRAN_MSG property, which a commit keeps.
      assert.equal(
        seen[0]?.systemProperties?.messageType,
        MessageType.TRANSACTION,
        'a committed transaction message is delivered as TRANSACTION',
      );
    });

    // ── 10 ─────────────────────────────────────────────────────────────────────────────────────
    test('batch SendMessage of 3 messages → exactly one OK entry; all 3 delivered', async (t) => {
      const b = need(t);
      if (!b) return;
      const topic = uniqueName('c-batch');
      const group = uniqueName('c-batch-g');
      await Promise.all([b.createTopic(topic, 'NORMAL'), b.createConsumerGroup(group)]);
      const [p, c] = await Promise.all([producer(t, b, [topic]), consumer(t, b, group, topic)]);
      const batch = [1, 2, 3].map((i) => p.message({ topic, body: `batch ${i}`, keys: [`k${i}`] }));
      const batchIds = ids(batch);

      const res = await p.sendRaw(batch);
      assert.equal(res.status?.code, Code.OK, res.status?.message);
      assert.equal(res.entries.length, 1, 'one entry for the whole batch');
      assert.equal(res.entries[0]?.status?.code, Code.OK);
      // The entry's message id is not pinned down: a 5.4 proxy in local mode answers the batch's own
      // new unique id (naming none of the messages), a cluster-mode proxy the ids joined with ','.
      assert.ok(res.entries[0]?.messageId, 'the entry carries a message id');

      const seen = await c.receiveUntil((s) => batchIds.every((id) => ids(s).includes(id)), {
        invisibleMs: HOLD_MS,
        budgetMs: BUDGET_MS,
      });
      assert.deepEqual(ids(seen).sort(), [...batchIds].sort());
      for (const m of seen) {
        const i = batchIds.indexOf(idOf(m)) + 1;
        assert.equal(Buffer.from(m.body).toString(), `batch ${i}`);
        assert.deepEqual(m.systemProperties?.keys, [`k${i}`]);
      }
    });
  });
}
