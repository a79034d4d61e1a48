/**
 * The soak run: a Producer sends keyed messages at a steady rate while SimpleConsumers of one group
 * receive and ack them and (optionally) a PushConsumer of a second group consumes them too; every
 * `reportEveryMs` a sample records RSS, heap (after a GC when `--expose-gc` is on), active handles,
 * event-loop delay, throughput and lag. With a fault plan, the broker is SIGKILLed and restarted and the
 * network is blackholed on a schedule while the load runs. At the end sending stops, the consumers drain
 * what is left, and the at-least-once accounting of each group is computed and checked against its
 * bounds (0 lost, duplicates within the bound derived from the faults, RSS within its band).
 */
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { PushConsumer } from '../../src/consumer/push-consumer.js';
import { SimpleConsumer } from '../../src/consumer/simple-consumer.js';
import type { MessageView } from '../../src/model/message-view.js';
import { RocketMQError } from '../../src/errors.js';
import { type ResourceSnapshot, libraryResources } from '../../src/internal/resource-count.js';
import { Producer } from '../../src/producer/index.js';
import type { GrpcClientFactory } from '../../src/rpc/channel-pool.js';
import { ACK_LOSS_WINDOW_MS, CompactLedger, type SoakAccounting } from './accounting.js';
import { type FaultStep, faultSteps, type RssBand, rssBand, warmUpEndS } from './rss-band.js';

/** Faults injected during the run. */
export interface FaultPlan {
  /** SIGKILL the broker (proxy + broker JVM) every this long, then restart it on its store. */
  readonly killEveryMs: number;
  /** Blackhole the network every this long … */
  readonly blackholeEveryMs: number;
  /** … for this long. */
  readonly blackholeMs: number;
  readonly kill: () => Promise<void>;
  readonly restart: () => Promise<void>;
  /** Starts (`true`) or ends (`false`) the blackhole. */
  readonly blackhole: (on: boolean) => void;
}

/** One injected fault. */
export interface FaultEvent {
  readonly kind: 'kill' | 'blackhole';
  /** Seconds since the start of sending. */
  readonly at: number;
  /** Kill: until the restarted broker was ready; blackhole: its length. */
  readonly durationMs: number;
}

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
  /** PushConsumers of a second group (`${group}_push`, which must exist). @defaultValue 0 */
  readonly pushConsumers?: number;
  /** Channel factory of every client (routes the calls through a fault proxy). */
  readonly createGrpcClient?: GrpcClientFactory;
  readonly faults?: FaultPlan;
  /** RSS must stay within ± this % of its median (samples after the warm-up). @defaultValue 10 */
  readonly rssBandPct?: number;
  readonly reportEveryMs: number;
  /** Upper bound of the drain after sending stopped. */
  readonly drainTimeoutMs: number;
  /** The drain gives up earlier when no ack arrived for this long. @defaultValue 60 s */
  readonly drainStallMs?: number;
  /** With faults: how long the consumers keep running after the drain, to count late redeliveries. @defaultValue 35 s */
  readonly settleMs?: number;
  readonly onSample?: (sample: SoakSample) => void;
  readonly onFault?: (event: FaultEvent) => void;
  /** Extra counts recorded with every sample (diagnostics, e.g. grpc-js's live channels and sockets). */
  readonly probe?: () => Readonly<Record<string, number>>;
}

export interface SoakSample {
  /** Seconds since the start of sending. */
  readonly t: number;
  readonly rssMiB: number;
  readonly heapMiB: number;
  /** The V8 heap's committed size, MiB (what the heap adds to RSS). */
  readonly heapTotalMiB: number;
  /** Memory of C++ objects bound to JS objects (Buffers included), MiB. */
  readonly externalMiB: number;
  /** Memory of ArrayBuffers and Buffers, MiB (part of `externalMiB`). */
  readonly arrayBuffersMiB: number;
  /** The library's own resources (timers, channels, calls, streams) of every client. */
  readonly library: ResourceSnapshot;
  /** Faults injected (started) so far. */
  readonly faultsSoFar: number;
  /** What {@link SoakOptions.probe} returned. */
  readonly probe: Readonly<Record<string, number>>;
  readonly handles: number;
  /** Handles by type, e.g. `{ TCPSocketWrap: 4, Timeout: 6 }`. */
  readonly handleTypes: Readonly<Record<string, number>>;
  readonly sentPerSec: number;
  readonly ackedPerSec: number;
  /** Sent OK, not acked yet (SimpleConsumer group). */
  readonly lag: number;
  /** Consumed per second by the PushConsumer group. */
  readonly pushPerSec: number;
  /** Sent OK, not consumed yet by the PushConsumer group. */
  readonly pushLag: number;
  /** Sends awaiting their outcome. */
  readonly sendsInFlight: number;
  /** Fault in effect when the sample was taken: `''`, `'down'` or `'blackhole'`. */
  readonly fault: string;
  readonly eventLoopP99Ms: number;
  /** The machine's 1-minute load average (context for the timings: the broker runs on the same box). */
  readonly load1: number;
  readonly sendErrors: number;
  readonly receiveErrors: number;
}

export interface SoakResult {
  readonly samples: readonly SoakSample[];
  /** The SimpleConsumer group. */
  readonly accounting: SoakAccounting;
  /** The PushConsumer group (when it ran). */
  readonly pushAccounting?: SoakAccounting;
  /** The first deliveries per group whose key is not one of the run's sequence numbers. */
  readonly foreignSamples: {
    readonly simple: readonly ForeignDelivery[];
    readonly push: readonly ForeignDelivery[];
  };
  /** Per group: the most duplicates the injected faults can explain (see {@link duplicateBound}). */
  readonly duplicateBound: { readonly simple: number; readonly push: number };
  readonly faults: readonly FaultEvent[];
  /**
   * RSS over the sending phase after its warm-up (see `rss-band.ts`: the first sample, and with faults
   * until one report interval after the first fault of each kind ended): the band checked.
   */
  readonly rss: RssBand;
  /** RSS over every sending sample after the first (the whole run, warm-up included), for the record. */
  readonly rssAll: RssBand;
  /** RSS before each fault and after its catch-up. */
  readonly rssSteps: readonly FaultStep[];
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
const BATCH = 32;
const QUEUES = 8;
/** The PushConsumer's cache limit in the soak (bounds what a fault can put back in flight). */
const PUSH_CACHE = 256;

/**
 * The most duplicates a group can see from the faults, from what each fault can put back:
 *
 * - a SIGKILL: the acks confirmed and the consumer offsets advanced in the last 5 s before it
 *   (written asynchronously by the broker, lost with the JVM: up to `rate × 5 s` messages delivered
 *   again), every message received but not yet acked (SimpleConsumer: a batch being acked and a
 *   receive being answered per consumer; PushConsumer: its cache plus a receive per queue), and the
 *   sends in flight (stored, answer lost, retried: a second stored copy);
 * - a blackhole: the same in-flight messages and sends (a popped batch whose answer is dropped comes
 *   back after its invisible duration; an ack that cannot get through likewise).
 */
export function duplicateBound(o: {
  kills: number;
  blackholes: number;
  rate: number;
  consumerInFlight: number;
}): number {
  const inFlight = o.consumerInFlight + MAX_IN_FLIGHT;
  return o.kills * (Math.ceil((o.rate * ACK_LOSS_WINDOW_MS) / 1000) + inFlight) + o.blackholes * inFlight;
}

function handleTypes(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
}

/** What a delivery the ledger does not know looked like (the first few are kept, per group). */
export interface ForeignDelivery {
  readonly messageId: string;
  readonly keys: readonly string[];
  readonly queueId: number;
  readonly queueOffset: string;
  readonly deliveryAttempt: number;
  readonly bodyBytes: number;
  readonly bornHost: string;
  readonly bornAt: string;
  readonly corrupted: boolean;
}

const keySeq = (v: MessageView) => Number(v.keys[0]?.slice(v.keys[0].indexOf(':') + 1));
const copyOffset = (v: MessageView) => Number(v.queueOffset ?? -1) * 64 + v.queueId;

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const capacity = Math.ceil((o.rate * o.durationMs) / 1000) + 1_000;
  const ledger = new CompactLedger(capacity);
  const pushCount = o.pushConsumers ?? 0;
  const pushLedger = new CompactLedger(pushCount > 0 ? capacity : 0);
  const errors = new Map<string, number>();
  const foreignSamples = { simple: [] as ForeignDelivery[], push: [] as ForeignDelivery[] };
  const noteForeign = (into: ForeignDelivery[], seq: number, sentCount: number, v: MessageView) => {
    if ((seq >= 0 && seq < sentCount) || into.length >= 5) return;
    into.push({
      messageId: v.messageId,
      keys: [...v.keys],
      queueId: v.queueId,
      queueOffset: String(v.queueOffset),
      deliveryAttempt: v.deliveryAttempt,
      bodyBytes: v.body.length,
      bornHost: v.bornHost,
      bornAt: v.bornTimestamp.toISOString(),
      corrupted: v.corrupted,
    });
  };
  const count = (where: string, err: unknown) => {
    const key = `${where}:${RocketMQError.from(err).code}`;
    errors.set(key, (errors.get(key) ?? 0) + 1);
  };
  const producer = new Producer({
    endpoints: o.endpoint,
    topics: [o.topic],
    ...(o.createGrpcClient ? { core: { createGrpcClient: o.createGrpcClient } } : {}),
  });
  const consumers = Array.from(
    { length: o.consumers },
    () =>
      new SimpleConsumer({
        endpoints: o.endpoint,
        consumerGroup: o.group,
        subscriptions: { [o.topic]: '*' },
        awaitDurationMs: 5_000,
        createGrpcClient: o.createGrpcClient,
      }),
  );
  const pushConsumers = Array.from(
    { length: pushCount },
    () =>
      new PushConsumer({
        endpoints: o.endpoint,
        consumerGroup: `${o.group}_push`,
        subscriptions: { [o.topic]: '*' },
        maxCachedMessages: PUSH_CACHE,
        createGrpcClient: o.createGrpcClient,
        listener: (v) => {
          const seq = keySeq(v);
          const offset = copyOffset(v);
          noteForeign(foreignSamples.push, seq, pushLedger.sentCount, v);
          pushLedger.handled(seq, offset, v.deliveryAttempt);
          pushLedger.acked(seq, offset, 'consumed');
          return 'success';
        },
      }),
  );
  await Promise.all([
    producer.start({ timeoutMs: 30_000 }),
    ...consumers.map((c) => c.start({ timeoutMs: 30_000 })),
    ...pushConsumers.map((c) => c.start({ timeoutMs: 30_000 })),
  ]);
  const body = Buffer.alloc(o.bodyBytes, 0x61);
  const stopConsuming = new AbortController();
  let sendErrors = 0;
  let receiveErrors = 0;

  const consumeLoops = consumers.map(async (c) => {
    while (!stopConsuming.signal.aborted) {
      let batch: MessageView[];
      try {
        batch = await c.receive(BATCH, 30_000, { signal: stopConsuming.signal });
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
          const seq = keySeq(v);
          const offset = copyOffset(v);
          noteForeign(foreignSamples.simple, seq, ledger.sentCount, v);
          ledger.handled(seq, offset, v.deliveryAttempt);
          try {
            await c.ack(v);
            ledger.acked(seq, offset, 'confirmed');
          } catch (err) {
            count('ack', err);
            // A refusal with the broker's own status was not applied; anything else may have been.
            const e = RocketMQError.from(err);
            ledger.acked(seq, offset, e.brokerCode !== undefined && !e.retriable ? 'failed' : 'unknown');
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
  let lastPushed = 0;
  let fault = '';
  let faultsSoFar = 0;
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
      heapTotalMiB: Math.round((mem.heapTotal / MiB) * 10) / 10,
      externalMiB: Math.round((mem.external / MiB) * 10) / 10,
      arrayBuffersMiB: Math.round((mem.arrayBuffers / MiB) * 10) / 10,
      library: libraryResources.snapshot(),
      faultsSoFar,
      probe: o.probe?.() ?? {},
      handles: Object.values(types).reduce((a, b) => a + b, 0),
      handleTypes: types,
      sentPerSec: Math.round((ledger.okCount - lastSent) / dt),
      ackedPerSec: Math.round((ledger.ackedCount - lastAcked) / dt),
      lag: ledger.lag,
      pushPerSec: Math.round((pushLedger.ackedCount - lastPushed) / dt),
      pushLag: pushLedger.lag,
      sendsInFlight: inFlight.size,
      fault,
      eventLoopP99Ms,
      load1: Math.round(loadavg()[0]! * 10) / 10,
      sendErrors,
      receiveErrors,
    };
    lastSampleAt = now;
    lastSent = ledger.okCount;
    lastAcked = ledger.ackedCount;
    lastPushed = pushLedger.ackedCount;
    samples.push(s);
    o.onSample?.(s);
  };

  // The fault schedule: kills at every multiple of killEveryMs, blackholes at every multiple of
  // blackholeEveryMs, within the sending phase; one fault at a time.
  const faults: FaultEvent[] = [];
  const schedule: Array<{ at: number; kind: 'kill' | 'blackhole' }> = [];
  if (o.faults) {
    for (let at = o.faults.killEveryMs; at < o.durationMs; at += o.faults.killEveryMs)
      schedule.push({ at, kind: 'kill' });
    for (let at = o.faults.blackholeEveryMs; at < o.durationMs; at += o.faults.blackholeEveryMs)
      schedule.push({ at, kind: 'blackhole' });
    schedule.sort((a, b) => a.at - b.at);
  }
  const faultLoop = (async () => {
    const f = o.faults;
    if (!f) return;
    for (const next of schedule) {
      const wait = started + next.at - performance.now();
      if (wait > 0) await sleep(wait);
      const at = performance.now();
      faultsSoFar++;
      if (next.kind === 'kill') {
        fault = 'down';
        await f.kill();
        // The JVM is dead now: an ack it confirmed up to this moment may be lost with it (on this
        // machine the kill takes up to seconds, and acks were confirmed 1.4 s after it was started).
        const dead = performance.now();
        ledger.killed(dead);
        pushLedger.killed(dead);
        await f.restart();
      } else {
        fault = 'blackhole';
        f.blackhole(true);
        await sleep(f.blackholeMs);
        f.blackhole(false);
      }
      fault = '';
      const durationMs = Math.round(performance.now() - at);
      faults.push({ kind: next.kind, at: Math.round((at - started) / 100) / 10, durationMs });
      o.onFault?.(faults[faults.length - 1]!);
    }
  })();

  while (performance.now() - started < o.durationMs) {
    const elapsed = performance.now() - started;
    const target = Math.floor((elapsed / 1000) * o.rate);
    while (due < target && inFlight.size < MAX_IN_FLIGHT) {
      const seq = ledger.next();
      if (seq === undefined) break;
      pushLedger.next();
      due++;
      const p = producer
        .send({ topic: o.topic, body, keys: [`soak:${seq}`] })
        .then(
          () => {
            ledger.sent(seq, true);
            if (pushCount > 0) pushLedger.sent(seq, true);
          },
          (err: unknown) => {
            sendErrors++;
            count('send', err);
            ledger.sent(seq, false);
            if (pushCount > 0) pushLedger.sent(seq, false);
          },
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    if (performance.now() - lastSampleAt >= o.reportEveryMs) sample();
    await sleep(TICK_MS);
  }
  const sendingSamples = samples.length;
  await Promise.all([...inFlight]);
  await faultLoop; // a restart in progress completes before the drain
  const drainStarted = performance.now();
  let lastProgress = drainStarted;
  let lastLag = ledger.lag + pushLedger.lag;
  while (ledger.lag + pushLedger.lag > 0 && performance.now() - drainStarted < o.drainTimeoutMs) {
    await sleep(100);
    const lag = ledger.lag + pushLedger.lag;
    if (lag !== lastLag) {
      lastLag = lag;
      lastProgress = performance.now();
    } else if (performance.now() - lastProgress > (o.drainStallMs ?? 60_000)) break;
    if (performance.now() - lastSampleAt >= o.reportEveryMs) sample();
  }
  const drainMs = performance.now() - drainStarted;
  // Redeliveries still due (a batch popped just before a fault comes back after its invisible
  // duration) are counted as duplicates when they arrive during this settling time.
  if (o.faults) await sleep(o.settleMs ?? 35_000);
  const drained = ledger.lag === 0 && pushLedger.lag === 0;
  sample();
  loopDelay.disable();
  stopConsuming.abort();
  await Promise.all(consumeLoops);
  await Promise.all([
    producer.shutdown(),
    ...consumers.map((c) => c.shutdown()),
    ...pushConsumers.map((c) => c.shutdown()),
  ]);

  const accounting = ledger.report();
  const pushAccounting = pushCount > 0 ? pushLedger.report() : undefined;
  const kills = faults.filter((f) => f.kind === 'kill').length;
  const blackholes = faults.filter((f) => f.kind === 'blackhole').length;
  const bound = {
    simple: duplicateBound({ kills, blackholes, rate: o.rate, consumerInFlight: o.consumers * 2 * BATCH }),
    push: duplicateBound({
      kills,
      blackholes,
      rate: o.rate,
      consumerInFlight: pushCount * (PUSH_CACHE + QUEUES * BATCH),
    }),
  };
  // Warm-up: the first sample includes connection setup and JIT; drift is measured from the second.
  const base = samples.length > 2 ? samples[1]! : samples[0]!;
  const last = samples[samples.length - 2] ?? samples[samples.length - 1]!; // before the drain sample
  const pct = (a: number, b: number) => Math.round(((b - a) / a) * 1000) / 10;
  // The RSS band is over the sending phase (the drain samples are another regime: no sending) after
  // its warm-up.
  const loaded = samples.slice(0, Math.max(1, sendingSamples));
  const rss = rssBand(loaded, warmUpEndS(faults, loaded[0]!.t, o.reportEveryMs));
  const rssAll = rssBand(loaded, loaded[0]!.t);
  const rssSteps = faultSteps(loaded, faults, o.reportEveryMs);
  const problems: string[] = [];
  const check = (name: string, a: SoakAccounting, dupBound: number) => {
    if (a.lost > 0) problems.push(`${name}: ${a.lost} messages sent OK never consumed`);
    if (a.handledAfterAck > 0) problems.push(`${name}: ${a.handledAfterAck} handled after their ack`);
    if (a.foreign > 0) problems.push(`${name}: ${a.foreign} foreign deliveries`);
    // The bound covers what the injected faults can put back; without faults the duplicates come from
    // the machine's load (send attempts and receives past their deadline) and are reported only.
    if (o.faults && a.duplicates > dupBound)
      problems.push(`${name}: ${a.duplicates} duplicates > bound ${dupBound}`);
  };
  if (!drained) problems.push(`${ledger.lag} + ${pushLedger.lag} messages not consumed when the drain ended`);
  check('simple', accounting, bound.simple);
  if (pushAccounting) check('push', pushAccounting, bound.push);
  if (accounting.sentOk === 0) problems.push('nothing was sent');
  // The band needs enough samples to have a meaningful median (a short CI run has too few).
  const band = o.rssBandPct ?? 10;
  if (rss.count >= 10 && rss.maxDevPct > band)
    problems.push(
      `RSS ${rss.min}–${rss.max} MiB from ${rss.fromS} s is ${rss.maxDevPct} % off its median ${rss.median} MiB (band ±${band} %)`,
    );
  return {
    samples,
    accounting,
    ...(pushAccounting ? { pushAccounting } : {}),
    duplicateBound: bound,
    foreignSamples,
    faults,
    rss,
    rssAll,
    rssSteps,
    rssDriftPct: pct(base.rssMiB, last.rssMiB),
    heapDriftPct: pct(base.heapMiB, last.heapMiB),
    drainMs: Math.round(drainMs),
    drained,
    errors: Object.fromEntries(errors),
    ok: problems.length === 0,
    problems,
  };
}
