/**
 * The soak run: a Producer sends keyed messages at a steady rate while SimpleConsumers of one group
 * receive and ack them; every `reportEveryMs` a sample records RSS, heap (after a GC when `--expose-gc`
 * is on), active handles, event-loop delay, throughput and lag. At the end sending stops, the consumers
 * drain what is left, and the at-least-once accounting is computed.
 */
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { SimpleConsumer } from '../../src/consumer/simple-consumer.js';
import type { MessageView } from '../../src/model/message-view.js';
import { RocketMQError } from '../../src/errors.js';
import { Producer } from '../../src/producer/index.js';
import { CompactLedger, type SoakAccounting } from './accounting.js';

export interface SoakOptions {
  readonly endpoint: string;
  readonly topic: string;
  readonly group: string;
  /** Run length of the sending phase. */
  readonly durationMs: number;
  /** Messages per second. */
  readonly rate: number;
  readonly bodyBytes: number;
  readonly consumers: number;
  readonly reportEveryMs: number;
  /** Upper bound of the drain after sending stopped. */
  readonly drainTimeoutMs: number;
  /** The drain gives up earlier when no ack arrived for this long. @defaultValue 60 s */
  readonly drainStallMs?: number;
  readonly onSample?: (sample: SoakSample) => void;
}

export interface SoakSample {
  /** Seconds since the start of sending. */
  readonly t: number;
  readonly rssMiB: number;
  readonly heapMiB: number;
  readonly handles: number;
  /** Handles by type, e.g. `{ TCPSocketWrap: 4, Timeout: 6 }`. */
  readonly handleTypes: Readonly<Record<string, number>>;
  readonly sentPerSec: number;
  readonly ackedPerSec: number;
  /** Sent OK, not acked yet. */
  readonly lag: number;
  readonly eventLoopP99Ms: number;
  /** The machine's 1-minute load average (context for the timings: the broker runs on the same box). */
  readonly load1: number;
  readonly sendErrors: number;
  readonly receiveErrors: number;
}

export interface SoakResult {
  readonly samples: readonly SoakSample[];
  readonly accounting: SoakAccounting;
  /** RSS of the last sample against the first one after warm-up, in %. */
  readonly rssDriftPct: number;
  readonly heapDriftPct: number;
  readonly drainMs: number;
  /** Whether every message sent OK was acked before the drain ended. */
  readonly drained: boolean;
  readonly errors: Readonly<Record<string, number>>;
  readonly ok: boolean;
  readonly problems: readonly string[];
}

const MiB = 1024 * 1024;
const MAX_IN_FLIGHT = 64;
const TICK_MS = 20;

function handleTypes(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const ledger = new CompactLedger(Math.ceil((o.rate * o.durationMs) / 1000) + 1_000);
  const errors = new Map<string, number>();
  const count = (where: string, err: unknown) => {
    const key = `${where}:${RocketMQError.from(err).code}`;
    errors.set(key, (errors.get(key) ?? 0) + 1);
  };
  const producer = new Producer({ endpoints: o.endpoint, topics: [o.topic] });
  const consumers = Array.from(
    { length: o.consumers },
    () =>
      new SimpleConsumer({
        endpoints: o.endpoint,
        consumerGroup: o.group,
        subscriptions: { [o.topic]: '*' },
        awaitDurationMs: 5_000,
      }),
  );
  await Promise.all([
    producer.start({ timeoutMs: 30_000 }),
    ...consumers.map((c) => c.start({ timeoutMs: 30_000 })),
  ]);
  const body = Buffer.alloc(o.bodyBytes, 0x61);
  const stopConsuming = new AbortController();
  let sendErrors = 0;
  let receiveErrors = 0;

  const consumeLoops = consumers.map(async (c) => {
    while (!stopConsuming.signal.aborted) {
      let batch: MessageView[];
      try {
        batch = await c.receive(32, 30_000, { signal: stopConsuming.signal });
      } catch (err) {
        if (stopConsuming.signal.aborted) return;
        receiveErrors++;
        count('receive', err);
        await sleep(200);
        continue;
      }
      // The batch's acks go out together (one round trip of latency per batch, not per message).
      await Promise.all(
        batch.map(async (v) => {
          const seq = Number(v.keys[0]?.slice(v.keys[0].indexOf(':') + 1));
          const offset = Number(v.queueOffset ?? -1) * 64 + v.queueId;
          ledger.handled(seq, offset);
          try {
            await c.ack(v);
            ledger.acked(seq, offset, true);
          } catch (err) {
            count('ack', err);
            ledger.acked(seq, offset, false);
          }
        }),
      );
    }
  });

  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  let due = 0;
  const samples: SoakSample[] = [];
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  let lastSampleAt = started;
  let lastSent = 0;
  let lastAcked = 0;
  const sample = (): void => {
    const eventLoopP99Ms = Math.round((loopDelay.percentile(99) / 1e6) * 10) / 10;
    gc(); // after reading the loop delay, so the collection's pause is not counted in it
    loopDelay.reset();
    const now = performance.now();
    const mem = process.memoryUsage();
    const types = handleTypes();
    const dt = (now - lastSampleAt) / 1000;
    const s: SoakSample = {
      t: Math.round((now - started) / 100) / 10,
      rssMiB: Math.round((mem.rss / MiB) * 10) / 10,
      heapMiB: Math.round((mem.heapUsed / MiB) * 10) / 10,
      handles: Object.values(types).reduce((a, b) => a + b, 0),
      handleTypes: types,
      sentPerSec: Math.round((ledger.okCount - lastSent) / dt),
      ackedPerSec: Math.round((ledger.ackedCount - lastAcked) / dt),
      lag: ledger.lag,
      eventLoopP99Ms,
      load1: Math.round(loadavg()[0]! * 10) / 10,
      sendErrors,
      receiveErrors,
    };
    lastSampleAt = now;
    lastSent = ledger.okCount;
    lastAcked = ledger.ackedCount;
    samples.push(s);
    o.onSample?.(s);
  };

  while (performance.now() - started < o.durationMs) {
    const elapsed = performance.now() - started;
    const target = Math.floor((elapsed / 1000) * o.rate);
    while (due < target && inFlight.size < MAX_IN_FLIGHT) {
      const seq = ledger.next();
      if (seq === undefined) break;
      due++;
      const p = producer
        .send({ topic: o.topic, body, keys: [`soak:${seq}`] })
        .then(
          () => ledger.sent(seq, true),
          (err: unknown) => {
            sendErrors++;
            count('send', err);
            ledger.sent(seq, false);
          },
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    if (performance.now() - lastSampleAt >= o.reportEveryMs) sample();
    await sleep(TICK_MS);
  }
  await Promise.all([...inFlight]);
  const drainStarted = performance.now();
  let lastProgress = drainStarted;
  let lastLag = ledger.lag;
  while (ledger.lag > 0 && performance.now() - drainStarted < o.drainTimeoutMs) {
    await sleep(100);
    if (ledger.lag !== lastLag) {
      lastLag = ledger.lag;
      lastProgress = performance.now();
    } else if (performance.now() - lastProgress > (o.drainStallMs ?? 60_000)) break;
  }
  const drainMs = performance.now() - drainStarted;
  const drained = ledger.lag === 0;
  sample();
  loopDelay.disable();
  stopConsuming.abort();
  await Promise.all(consumeLoops);
  await Promise.all([producer.shutdown(), ...consumers.map((c) => c.shutdown())]);

  const accounting = ledger.report();
  // Warm-up: the first sample includes connection setup and JIT; drift is measured from the second.
  const base = samples.length > 2 ? samples[1]! : samples[0]!;
  const last = samples[samples.length - 2] ?? samples[samples.length - 1]!; // before the drain sample
  const pct = (a: number, b: number) => Math.round(((b - a) / a) * 1000) / 10;
  const problems: string[] = [];
  if (!drained)
    problems.push(`${accounting.lost} messages not acked when the drain ended (lost or not drained)`);
  if (accounting.handledAfterAck > 0) problems.push(`${accounting.handledAfterAck} handled after their ack`);
  if (accounting.foreign > 0) problems.push(`${accounting.foreign} foreign deliveries`);
  if (accounting.sentOk === 0) problems.push('nothing was sent');
  return {
    samples,
    accounting,
    rssDriftPct: pct(base.rssMiB, last.rssMiB),
    heapDriftPct: pct(base.heapMiB, last.heapMiB),
    drainMs: Math.round(drainMs),
    drained,
    errors: Object.fromEntries(errors),
    ok: problems.length === 0,
    problems,
  };
}
