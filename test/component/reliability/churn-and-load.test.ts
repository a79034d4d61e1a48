/**
 * Receive coverage, parallel load and consumer churn (reliability-matrix rows G8, F5, G9) on the
 * in-process broker, with the at-least-once ledger:
 *
 * - G8 300 messages on one queue of a topic then grown to 8 queues (7 empty), received with
 *   receive(30): never more than asked per call, each message once, every queue drained after the
 *   route refresh, and an acked message never seen again.
 * - F5 16 producers × 100 messages while 3 groups of 3 consumers each consume: every group gets every
 *   message (the union of the ids a group handled is the set sent), nothing else; duplicates reported.
 * - G9 consumer churn: consumer processes join and leave while a producer sends — every other leaver is
 *   SIGKILLed, the rest SIGTERMed — and a survivor drains at the end: every message handled and acked,
 *   and a message handled twice only when a killed process held it unacked.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { SimpleConsumer } from '../../../src/consumer/simple-consumer.js';
import { RocketMQError } from '../../../src/errors.js';
import type { MessageView } from '../../../src/model/message-view.js';
import { InProcessBroker } from '../../../src/testing/index.js';
import {
  AtLeastOnceLedger,
  classifyAckError,
  copyOf,
  type LedgerEvent,
  ledgerKeyOf,
} from '../../helpers/at-least-once.js';
import { drain, sendKeyed } from '../../helpers/ledger-flows.js';
import { waitFor, waitUntil } from '../../helpers/wait-for.js';
import { consumerFor, producerFor, uniqueName } from './setup.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../../..');

async function brokerFor(t: TestContext): Promise<InProcessBroker> {
  const broker = await InProcessBroker.start({ longPollingMinMs: 0, minInvisibleDurationMs: 1_000 });
  t.after(() => broker.shutdown());
  return broker;
}

describe('G8 receive coverage', () => {
  test('300 messages with receive(30), then a topic grown to 8 queues: ≤ 30 per call, each once, every queue drained', async (t) => {
    const broker = await brokerFor(t);
    const topic = uniqueName('g8');
    broker.createTopic(topic, { queues: 1 });
    const producer = producerFor(t, broker.endpoint, {
      topics: [topic],
      core: { routeRefreshIntervalMs: 200 },
    });
    const consumer = consumerFor(t, broker.endpoint, uniqueName('g8-g'), topic, {
      routeRefreshIntervalMs: 200,
    });
    await Promise.all([producer.start(), consumer.start()]);
    const sent = new Set<string>();
    for (let i = 0; i < 300; i++) sent.add((await producer.send({ topic, body: `m${i}` })).messageId);
    broker.createTopic(topic, { queues: 8 }); // the 300 sit on queue 0; queues 1–7 are empty

    const seen = new Map<string, number>();
    const sizes: number[] = [];
    const queuesSeen = new Set<number>();
    const receiveUntil = async (n: number) => {
      const end = performance.now() + 20_000;
      while (seen.size < n) {
        assert.ok(performance.now() < end, `received ${seen.size} of ${n}`);
        const batch = await consumer.receive(30, 10_000);
        sizes.push(batch.length);
        for (const v of batch) {
          seen.set(v.messageId, (seen.get(v.messageId) ?? 0) + 1);
          queuesSeen.add(v.queueId);
        }
        for (const r of await consumer.ackAll(batch)) assert.equal(r.error, undefined, String(r.error));
      }
    };
    await receiveUntil(300);
    assert.ok(
      sizes.every((n) => n <= 30),
      `batch sizes ${sizes.join(',')}`,
    );
    assert.ok(sizes.filter((n) => n === 30).length >= 9, 'full batches were served');

    // After the route refresh the producer spreads over all 8 queues and the consumer drains them all.
    await waitUntil(() => producer.core.routes.peek(topic)?.queues.length === 8, 5_000, 'the grown route');
    queuesSeen.clear();
    const sentQueues = new Set<number>();
    for (let i = 0; i < 80; i++) {
      const r = await producer.send({ topic, body: `n${i}` });
      sent.add(r.messageId);
      sentQueues.add(r.queue.queueId);
    }
    assert.equal(sentQueues.size, 8, `sends used queues ${[...sentQueues].sort().join(',')}`);
    await receiveUntil(380);
    assert.deepEqual(
      [...queuesSeen].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7],
      'every queue drained',
    );
    assert.deepEqual(new Set(seen.keys()), sent);
    assert.ok(
      [...seen.values()].every((n) => n === 1),
      'each message once',
    );
    // Longer than the invisible duration: an acked message is never delivered again.
    const end = performance.now() + 1_500;
    while (performance.now() < end) assert.deepEqual(await consumer.receive(32, 1_000), []);
    assert.equal(broker.stats().inflight, 0);
  });
});

describe('F5 parallel producers and consumer groups', () => {
  test('16 producers × 100 messages, 3 groups × 3 consumers: each group gets every message, nothing else', async (t) => {
    const broker = await brokerFor(t);
    const topic = uniqueName('f5');
    broker.createTopic(topic, { queues: 8 });
    const PRODUCERS = 16;
    const PER_PRODUCER = 100;
    const groups = [uniqueName('f5-a'), uniqueName('f5-b'), uniqueName('f5-c')];
    const ledgers = groups.map(() => new AtLeastOnceLedger('f5'));
    const producers = Array.from({ length: PRODUCERS }, () =>
      producerFor(t, broker.endpoint, { topics: [topic] }),
    );
    const consumers = groups.flatMap((g, gi) =>
      [0, 1, 2].map((ci) => ({
        ledger: ledgers[gi]!,
        name: `${g}/${ci}`,
        consumer: consumerFor(t, broker.endpoint, g, topic),
      })),
    );
    await Promise.all([...producers.map((p) => p.start()), ...consumers.map((c) => c.consumer.start())]);

    const stop = new AbortController();
    t.after(() => stop.abort());
    const loop = async (c: { ledger: AtLeastOnceLedger; name: string; consumer: SimpleConsumer }) => {
      while (!stop.signal.aborted) {
        let batch: MessageView[];
        try {
          batch = await c.consumer.receive(32, 10_000, { signal: stop.signal });
        } catch (e) {
          // Aborted at the end, or closed when a failed test shuts the consumers down; other errors are
          // retried (and would show up as lost messages).
          if (stop.signal.aborted || RocketMQError.from(e).code === 'CLOSED') return;
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        for (const v of batch)
          c.ledger.handled(ledgerKeyOf(v)!, {
            copy: copyOf(v),
            attempt: v.deliveryAttempt,
            consumer: c.name,
          });
        for (const r of await c.consumer.ackAll(batch)) {
          c.ledger.acked(ledgerKeyOf(r.message)!, r.error ? classifyAckError(r.error) : 'ok', {
            copy: copyOf(r.message),
            err: r.error,
          });
        }
      }
    };
    const loops = consumers.map(loop);
    const started = performance.now();
    await Promise.all(
      producers.map(async (p, pi) => {
        for (let i = 0; i < PER_PRODUCER; i++) {
          const key = `f5:${pi}-${i}`;
          const at = performance.timeOrigin + performance.now();
          for (const l of ledgers) l.record({ type: 'sent', key, outcome: 'unknown', at });
          const receipt = await ledgers[0]!.send(key, () => p.send({ topic, body: key, keys: [key] }));
          assert.ok(receipt, `send of ${key} failed`);
          for (const l of ledgers.slice(1))
            l.record({
              type: 'sent',
              key,
              outcome: 'ok',
              messageId: receipt.messageId,
              at: performance.timeOrigin + performance.now(),
            });
        }
      }),
    );
    await waitUntil(() => ledgers.every((l) => l.drained), 30_000, 'every group to ack every message');
    const retriedSends = broker.stats().calls.SendMessage - PRODUCERS * PER_PRODUCER;
    const ms = performance.now() - started;
    stop.abort();
    await Promise.all(loops);
    for (const [i, l] of ledgers.entries()) {
      const r = l.assertHolds({ log: (line) => t.diagnostic(`${groups[i]}: ${line}`) });
      assert.equal(r.sent.ok, PRODUCERS * PER_PRODUCER);
      assert.equal(r.ackedKeys, PRODUCERS * PER_PRODUCER, 'the union of handled ids is the set sent');
      assert.equal(r.foreign.length, 0);
      t.diagnostic(`${groups[i]}: duplicate rate ${((100 * r.duplicates) / r.deliveries).toFixed(2)} %`);
      assert.equal(r.redeliveries, 0, 'no fault, no redelivery');
      // An extra stored copy comes only from a send retried after its answer came late (a loaded
      // machine can stretch one past the request timeout): never more copies than retried attempts.
      assert.ok(
        r.duplicates <= retriedSends,
        `${r.duplicates} extra copies, but only ${retriedSends} SendMessage retries`,
      );
    }
    t.diagnostic(`${PRODUCERS * PER_PRODUCER} messages × 3 groups in ${ms.toFixed(0)} ms`);
  });
});

interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly events: LedgerEvent[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  ready: boolean;
  stderr: string;
}

describe('G9 consumer churn', () => {
  test('consumer processes join and leave (SIGKILL / SIGTERM) under load: every message acked; duplicates only from killed holders or refused acks', async (t) => {
    const INVISIBLE_MS = 2_000;
    const broker = await brokerFor(t);
    const topic = uniqueName('g9');
    const group = uniqueName('g9-g');
    broker.createTopic(topic, { queues: 4 });
    broker.createConsumerGroup(group);
    const run = uniqueName('g9-run');
    const ledger = new AtLeastOnceLedger(run);
    const children: Child[] = [];
    const pokes = new Set<() => void>();
    const poke = () => {
      for (const p of pokes) p();
    };
    const until = async (cond: () => boolean, boundMs: number, what: string) => {
      const w = waitFor(cond, boundMs, what);
      pokes.add(w.poke);
      try {
        await w.done;
      } finally {
        pokes.delete(w.poke);
      }
    };
    const spawnChild = (): Child => {
      const name = `child-${children.length}`;
      // count 0: the child only consumes (the parent produces); 30 ms per message.
      const proc = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          join(HERE, 'fixtures', 'client-process.ts'),
          broker.endpoint,
          topic,
          group,
          `${run}-${name}`,
          '0',
          '30',
          String(INVISIBLE_MS),
          '10',
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const child: Child = {
        name,
        proc,
        events: [],
        ready: false,
        stderr: '',
        exited: new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal }))),
      };
      t.after(() => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      });
      let buffered = '';
      proc.stdout!.on('data', (d: Buffer) => {
        buffered += d.toString();
        for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line.startsWith('EVT ')) {
            const e = JSON.parse(line.slice(4)) as LedgerEvent;
            child.events.push(e.type === 'handled' ? { ...e, consumer: name } : e);
          } else if (line === 'READY') child.ready = true;
        }
        poke();
      });
      proc.stderr!.on('data', (d: Buffer) => {
        child.stderr += d.toString();
      });
      void child.exited.then(poke);
      children.push(child);
      return child;
    };
    const handled = () =>
      children.reduce((n, c) => n + c.events.filter((e) => e.type === 'handled').length, 0);

    const producer = producerFor(t, broker.endpoint, { topics: [topic] });
    await producer.start();
    let sending = true;
    const sender = (async () => {
      while (sending) {
        await sendKeyed(producer, ledger, topic);
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    t.after(() => {
      sending = false;
    });

    const alive: Child[] = [spawnChild(), spawnChild()];
    await until(() => alive.every((c) => c.ready), 30_000, 'the first two consumers');
    const killed = new Set<string>();
    const ROUNDS = 6;
    for (let round = 0; round < ROUNDS; round++) {
      const mark = handled();
      await until(() => handled() >= mark + 15, 20_000, `deliveries in round ${round}`);
      const leaving = alive.shift()!;
      const signal = round % 2 === 0 ? 'SIGKILL' : 'SIGTERM';
      if (signal === 'SIGKILL') killed.add(leaving.name);
      leaving.proc.kill(signal);
      const joining = spawnChild();
      alive.push(joining);
      const exit = await leaving.exited;
      if (signal === 'SIGTERM')
        assert.deepEqual(exit, { code: 0, signal: null }, `${leaving.name} exits 0; ${leaving.stderr}`);
      await until(() => joining.ready, 30_000, `${joining.name} ready`);
    }
    sending = false;
    await sender;
    for (const c of alive) c.proc.kill('SIGTERM');
    await Promise.all(alive.map((c) => c.exited));

    for (const c of children) ledger.ingest(c.events);
    // A SIGKILLed child may have been killed between its ack succeeding and the 'acked' event reaching
    // us: for what it handled without a reported ack outcome, the ack is unknown (not absent). If the
    // broker never got it, the survivor gets the message again below.
    for (const c of children) {
      if (!killed.has(c.name)) continue;
      const reported = new Set(c.events.filter((e) => e.type === 'acked').map((e) => e.key));
      for (const e of c.events) {
        if (e.type === 'handled' && !reported.has(e.key)) ledger.acked(e.key, 'unknown');
      }
    }
    const survivor = consumerFor(t, broker.endpoint, group, topic, { minInvisibleDurationMs: INVISIBLE_MS });
    await survivor.start();
    await drain(survivor, ledger, { timeoutMs: 20_000, invisibleDurationMs: INVISIBLE_MS, name: 'survivor' });
    // The drain above received past the invisible duration: an unknown ack of a killed child that the
    // broker did not apply came back to the survivor. A duplicate needs a cause: a delivery a SIGKILLed
    // child held unacked (one batch of 8 at most per kill; a SIGTERMed child finishes its batch), an ack
    // the broker refused (the child was too slow for the 2 s invisibility on a loaded machine: the
    // message comes back once per refusal), or an extra stored copy (a producer retry).
    const pre = ledger.report();
    const maxDuplicates = 8 * killed.size + pre.ackFailures + pre.copies;
    const r = ledger.assertHolds({ log: (l) => t.diagnostic(l), maxDuplicates });
    assert.ok(r.sent.ok >= 50, `${r.sent.ok} messages sent`);

    const byKilled: string[] = [];
    const byRefusal: string[] = [];
    const unexplained: string[] = [];
    for (let n = 1; n <= ledger.sentCount; n++) {
      const key = `${run}:${n}`;
      const deliveries = ledger.deliveriesOf(key);
      if (deliveries.length < 2) continue;
      // Every delivery but the last was to a process that was SIGKILLed while it held the message, or
      // ended in an ack the broker refused (or was another stored copy).
      const earlier = deliveries.slice(0, -1);
      const notByKill = earlier.filter((d) => d.consumer === undefined || !killed.has(d.consumer)).length;
      const copies = new Set(deliveries.map((d) => d.copy ?? '')).size - 1;
      if (notByKill === 0) byKilled.push(key);
      else if (notByKill <= ledger.ackFailuresOf(key) + copies) byRefusal.push(key);
      else unexplained.push(`${key} (${deliveries.map((d) => d.consumer).join(' → ')})`);
    }
    t.diagnostic(
      `${children.length} consumer processes (${killed.size} SIGKILLed); ${r.sent.ok} sent; ` +
        `${byKilled.length} handled again after a SIGKILL, ${byRefusal.length} after a refused ack or as another copy; ` +
        `duplicates ${r.duplicates} (bound ${maxDuplicates})`,
    );
    assert.deepEqual(unexplained, [], 'a duplicate not explained by a SIGKILL, a refused ack or a copy');
  });
});
