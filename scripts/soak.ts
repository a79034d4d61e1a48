/**
 * Soak test against a real RocketMQ 5.x broker: steady send + consume load, a sample per interval (RSS,
 * heap after GC, active handles, event-loop p99, throughput, lag), then a drain and the at-least-once
 * accounting. Uses ROCKETMQ_ENDPOINT (+ ROCKETMQ_NAMESRV to create the topic), else starts a broker with
 * the testcontainers/ harness and stops it afterwards.
 *
 *   npm run soak -- --minutes 30                 # the README figures
 *   npm run soak -- --minutes 0.5 --report-every 5 --json
 *
 * Options: --minutes N (1), --rate MSG_PER_S (200), --body-bytes N (1024), --consumers N (2),
 * --report-every SECONDS (60), --drain-timeout SECONDS (1200; it also ends after 60 s without progress), --json (adds a `SOAK_RESULT {…}` line).
 * Exit code 0 when the accounting holds (0 lost, 0 handled after ack), 1 otherwise, 2 on bad usage.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startBroker } from '../testcontainers/index.js';
import { runSoak, type SoakSample } from './soak/run-soak.js';

function usage(message: string): never {
  console.error(
    `soak: ${message}\nusage: npm run soak -- --minutes N [--rate R] [--body-bytes B] [--consumers C] [--report-every S] [--drain-timeout S] [--json]`,
  );
  process.exit(2);
}

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) usage(`--${name} must be a positive number, got ${value}`);
  return n;
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        minutes: { type: 'string' },
        rate: { type: 'string' },
        'body-bytes': { type: 'string' },
        consumers: { type: 'string' },
        'report-every': { type: 'string' },
        'drain-timeout': { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
    });
  } catch (err) {
    return usage((err as Error).message);
  }
})();

const minutes = positive('minutes', values.minutes, 1);
const rate = positive('rate', values.rate, 200);
const bodyBytes = Math.round(positive('body-bytes', values['body-bytes'], 1024));
const consumers = Math.round(positive('consumers', values.consumers, 2));
const reportEveryMs = positive('report-every', values['report-every'], 60) * 1000;
const drainTimeoutMs = positive('drain-timeout', values['drain-timeout'], 1_200) * 1000;

const pad = (s: string | number, n: number) => String(s).padStart(n);
function printSample(s: SoakSample): void {
  console.log(
    `${pad(s.t.toFixed(1), 7)} s ${pad(s.rssMiB.toFixed(1), 7)} ${pad(s.heapMiB.toFixed(1), 7)} ${pad(s.handles, 7)} ${pad(s.sentPerSec, 7)} ${pad(s.ackedPerSec, 7)} ${pad(s.lag, 7)} ${pad(s.eventLoopP99Ms.toFixed(1), 8)} ${pad(s.load1.toFixed(1), 5)} ${pad(s.sendErrors, 6)} ${pad(s.receiveErrors, 6)}`,
  );
}

const broker = await startBroker({ log: (l) => console.error(`[broker] ${l}`) });
const suffix = `${Date.now().toString(36)}_${randomBytes(2).toString('hex')}`;
const topic = `soak_${suffix}`;
const group = `soak_g_${suffix}`;
let code = 1;
try {
  await broker.createTopic(topic, 'NORMAL', { queues: 8 });
  await broker.createConsumerGroup(group);
  console.log(
    `soak: ${minutes} min at ${rate} msg/s, ${bodyBytes} B bodies, ${consumers} consumers, broker ${broker.source ?? '?'} ${broker.endpoint}, node ${process.version}, gc ${typeof (globalThis as { gc?: unknown }).gc === 'function' ? 'exposed' : 'not exposed'}`,
  );
  console.log('      t   rssMiB heapMiB handles  sent/s  acked/s     lag  loopP99 load1  sendE   recvE');
  const result = await runSoak({
    endpoint: broker.endpoint,
    topic,
    group,
    durationMs: minutes * 60_000,
    rate,
    bodyBytes,
    consumers,
    reportEveryMs,
    drainTimeoutMs,
    onSample: printSample,
  });
  const a = result.accounting;
  console.log(
    `accounting: sent ${a.sent} (ok ${a.sentOk}, failed ${a.sentFailed}) · deliveries ${a.deliveries} (duplicates ${a.duplicates}) · acked ${a.acked} (ack failures ${a.ackFailures}) · lost ${a.lost} · handled after ack ${a.handledAfterAck} · foreign ${a.foreign}`,
  );
  console.log(
    `drift (2nd sample → last before drain): RSS ${result.rssDriftPct} %, heap ${result.heapDriftPct} %; drain ${result.drainMs} ms (${result.drained ? 'complete' : 'INCOMPLETE'}); errors ${JSON.stringify(result.errors)}`,
  );
  if (values.json) console.log(`SOAK_RESULT ${JSON.stringify(result)}`);
  console.log(result.ok ? 'soak: OK' : `soak: FAILED: ${result.problems.join('; ')}`);
  code = result.ok ? 0 : 1;
} finally {
  await broker.stop();
}
process.exitCode = code;
