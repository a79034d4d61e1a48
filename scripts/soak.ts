/**
 * Soak test against a real RocketMQ 5.x broker: steady send + consume load, a sample per interval (RSS,
 * heap after GC, active handles, event-loop p99, throughput, lag), then a drain and the at-least-once
 * accounting. Uses ROCKETMQ_ENDPOINT (+ ROCKETMQ_NAMESRV to create the topic), else starts a broker with
 * the testcontainers/ harness and stops it afterwards.
 *
 *   npm run soak -- --minutes 30 --faults         # the README figures
 *   npm run soak -- --minutes 0.5 --report-every 5 --json
 *
 * Options: --minutes N (1), --rate MSG_PER_S (200), --body-bytes N (1024), --consumers N (2
 * SimpleConsumers of one group), --push-consumers N (1 PushConsumer of a second group; 0 for none),
 * --report-every SECONDS (60), --drain-timeout SECONDS (1200; it also ends after 60 s without
 * progress), --json (adds a `SOAK_RESULT {…}` line), --diag (adds a `diag {…}` line per sample: external and
 * ArrayBuffer memory, the library's resource counts, active resources by type, the faults so far, and
 * grpc-js's live channels, subchannels, sockets and HTTP/2 sessions, open or closed but still reachable,
 * counted by hooks installed here).
 * --faults rotates faults during the run: the proxy+broker JVM is SIGKILLed and restarted on its store
 * every --kill-every SECONDS (300), and a TCP fault proxy in front of it blackholes every connection for
 * --blackhole-for SECONDS (10) every --blackhole-every SECONDS (420). It needs a broker of its own (it
 * ignores ROCKETMQ_ENDPOINT).
 * Exit code 0 when the accounting holds (0 lost, 0 handled after ack, duplicates within their bound,
 * RSS within ±10 % of its median over ≥ 10 samples), 1 otherwise, 2 on bad usage.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { FaultProxy } from '../test/helpers/fault-proxy.js';
import { startBroker } from '../testcontainers/index.js';
import { type FaultPlan, runSoak, type SoakSample } from './soak/run-soak.js';

function usage(message: string): never {
  console.error(
    `soak: ${message}\nusage: npm run soak -- --minutes N [--rate R] [--body-bytes B] [--consumers C] [--push-consumers P] [--report-every S] [--drain-timeout S] [--faults [--kill-every S] [--blackhole-every S] [--blackhole-for S]] [--json]`,
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
        'push-consumers': { type: 'string' },
        faults: { type: 'boolean' },
        'kill-every': { type: 'string' },
        'blackhole-every': { type: 'string' },
        'blackhole-for': { type: 'string' },
        'report-every': { type: 'string' },
        'drain-timeout': { type: 'string' },
        json: { type: 'boolean' },
        diag: { type: 'boolean' },
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
const pushConsumers =
  values['push-consumers'] === '0' ? 0 : Math.round(positive('push-consumers', values['push-consumers'], 1));
const killEveryMs = positive('kill-every', values['kill-every'], 300) * 1000;
const blackholeEveryMs = positive('blackhole-every', values['blackhole-every'], 420) * 1000;
const blackholeMs = positive('blackhole-for', values['blackhole-for'], 10) * 1000;
const reportEveryMs = positive('report-every', values['report-every'], 60) * 1000;
const drainTimeoutMs = positive('drain-timeout', values['drain-timeout'], 1_200) * 1000;

/**
 * Live counts of grpc-js's own objects: its channelz registrations (a channel, subchannel or socket is
 * registered when created and unregistered when shut down; registration is on by default) and the HTTP/2
 * sessions it opened. Installed before any client exists.
 */
function installGrpcProbe(): () => Record<string, number> {
  const require = createRequire(import.meta.url);
  const channelz = require('@grpc/grpc-js/build/src/channelz.js') as Record<string, unknown>;
  const live: Record<string, number> = { channel: 0, subchannel: 0, socket: 0 };
  for (const kind of ['Channel', 'Subchannel', 'Socket'] as const) {
    const name = `registerChannelz${kind}`;
    const original = channelz[name] as (...a: unknown[]) => { kind: string };
    channelz[name] = (...a: unknown[]) => {
      const ref = original(...a);
      live[ref.kind] = (live[ref.kind] ?? 0) + 1;
      return ref;
    };
  }
  const unregister = channelz.unregisterChannelzRef as (ref: { kind: string; id: number }) => void;
  const seen = new Set<string>();
  channelz.unregisterChannelzRef = (ref: { kind: string; id: number }) => {
    const key = `${ref.kind}:${ref.id}`;
    if (!seen.has(key)) {
      seen.add(key);
      live[ref.kind] = (live[ref.kind] ?? 0) - 1;
    }
    unregister(ref);
  };
  // grpc-js removes every listener of a session once it is connected, so sessions are followed by weak
  // references: `h2open` are not destroyed yet, `h2dead` are destroyed but still reachable after a GC
  // (something keeps them).
  const http2 = require('node:http2') as { connect: (...a: unknown[]) => { destroyed: boolean } };
  const connect = http2.connect;
  let sessions: Array<WeakRef<{ destroyed: boolean }>> = [];
  http2.connect = (...a: unknown[]) => {
    const session = connect(...a);
    sessions.push(new WeakRef(session));
    return session;
  };
  return () => {
    sessions = sessions.filter((r) => r.deref() !== undefined);
    const open = sessions.filter((r) => r.deref()?.destroyed === false).length;
    return { ...live, h2open: open, h2dead: sessions.length - open };
  };
}
const probe = values.diag === true ? installGrpcProbe() : undefined;

const pad = (s: string | number, n: number) => String(s).padStart(n);
function printSample(s: SoakSample): void {
  console.log(
    `${pad(s.t.toFixed(1), 7)} s ${pad(s.rssMiB.toFixed(1), 7)} ${pad(s.heapMiB.toFixed(1), 7)} ${pad(s.handles, 7)} ${pad(s.sentPerSec, 7)} ${pad(s.ackedPerSec, 7)} ${pad(s.lag, 7)} ${pad(s.pushPerSec, 7)} ${pad(s.pushLag, 7)} ${pad(s.eventLoopP99Ms.toFixed(1), 8)} ${pad(s.load1.toFixed(1), 5)} ${pad(s.sendErrors, 6)} ${pad(s.receiveErrors, 6)} ${s.fault}`,
  );
  if (values.diag)
    console.log(
      `diag ${JSON.stringify({ t: s.t, rss: s.rssMiB, heap: s.heapMiB, heapTotal: s.heapTotalMiB, ext: s.externalMiB, ab: s.arrayBuffersMiB, faults: s.faultsSoFar, lib: s.library, grpc: s.probe, handles: s.handleTypes })}`,
    );
}

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
    }).trim();
    return dirty === '' ? head : `${head} (with uncommitted changes)`;
  } catch {
    return 'unknown';
  }
}

const withFaults = values.faults === true;
const broker = await startBroker({ log: (l) => console.error(`[broker] ${l}`), ignoreEnv: withFaults });
let proxy: FaultProxy | undefined;
const suffix = `${Date.now().toString(36)}_${randomBytes(2).toString('hex')}`;
const topic = `soak_${suffix}`;
const group = `soak_g_${suffix}`;
let code = 1;
try {
  await broker.createTopic(topic, 'NORMAL', { queues: 8 });
  await broker.createConsumerGroup(group);
  if (pushConsumers > 0) await broker.createConsumerGroup(`${group}_push`);
  let faults: FaultPlan | undefined;
  let createGrpcClient: ((...a: ConstructorParameters<typeof grpc.Client>) => grpc.Client) | undefined;
  if (withFaults) {
    // A proxy in local mode advertises its own gRPC address in routes, so the clients' channel factory
    // dials the fault proxy in front of it instead, like a NAT.
    const fp = await FaultProxy.start({ target: broker.endpoint });
    proxy = fp;
    const brokerAddress = broker.endpoint;
    createGrpcClient = (target, credentials, options) =>
      new grpc.Client(target.replace(brokerAddress, fp.endpoint), credentials, options);
    faults = {
      killEveryMs,
      blackholeEveryMs,
      blackholeMs,
      kill: () => broker.kill(),
      restart: () => broker.restart(),
      // Every connection, open or new, drops every byte; at the end the stale connections are reset
      // (a NAT or firewall that lost their state) and new ones pass.
      blackhole: (on) => {
        if (on) fp.set({ kind: 'blackhole' });
        else {
          fp.set({ kind: 'pass' }, { existing: false });
          fp.resetAll();
        }
      },
    };
  }
  console.log(
    `soak: ${minutes} min at ${rate} msg/s, ${bodyBytes} B bodies, ${consumers} SimpleConsumers + ${pushConsumers} PushConsumers (two groups), broker ${broker.source ?? '?'} ${broker.endpoint}, node ${process.version}, gc ${typeof (globalThis as { gc?: unknown }).gc === 'function' ? 'exposed' : 'not exposed'}, commit ${commit()}`,
  );
  if (faults)
    console.log(
      `faults: SIGKILL + restart of the proxy+broker JVM every ${killEveryMs / 1000} s, blackhole of every connection for ${blackholeMs / 1000} s every ${blackholeEveryMs / 1000} s`,
    );
  console.log(
    '      t   rssMiB heapMiB handles  sent/s  acked/s     lag  push/s pushLag  loopP99 load1  sendE   recvE fault',
  );
  const result = await runSoak({
    endpoint: broker.endpoint,
    topic,
    group,
    durationMs: minutes * 60_000,
    rate,
    bodyBytes,
    consumers,
    pushConsumers,
    ...(createGrpcClient ? { createGrpcClient } : {}),
    ...(faults ? { faults } : {}),
    reportEveryMs,
    drainTimeoutMs,
    ...(probe ? { probe } : {}),
    onSample: printSample,
    onFault: (f) =>
      console.log(
        `fault: ${f.kind} at ${f.at} s, ${f.kind === 'kill' ? 'ready again after' : 'lasted'} ${f.durationMs} ms`,
      ),
  });
  const line = (name: string, a: typeof result.accounting, bound: number) =>
    console.log(
      `accounting (${name}): sent ${a.sent} (ok ${a.sentOk}, failed ${a.sentFailed}) · deliveries ${a.deliveries} (duplicates ${a.duplicates}: ${a.storedCopies} second stored copies, ${a.duplicates - a.storedCopies} redeliveries; bound ${result.faults.length > 0 ? bound : 'none without faults'}) · consumed ${a.acked} (ack failures ${a.ackFailures}; settled by an ack of unknown outcome ${a.ackUnknown}) · recovered ${a.recovered} · lost ${a.lost} · handled after ack ${a.handledAfterAck} (excused by a kill ${a.afterAckExcused}${a.afterAckAckToKillMs.length > 0 ? `; unexcused acks confirmed ${a.afterAckAckToKillMs.join(', ')} ms before the next kill` : ''}) · foreign ${a.foreign}`,
    );
  line('SimpleConsumer group', result.accounting, result.duplicateBound.simple);
  const diag = (name: string, a: typeof result.accounting) => {
    if (a.lostSamples.length > 0) console.log(`lost (${name}, first 20): ${JSON.stringify(a.lostSamples)}`);
    if (a.afterAckSamples.length > 0)
      console.log(`handled after ack (${name}, first 20): ${JSON.stringify(a.afterAckSamples)}`);
  };
  diag('SimpleConsumer group', result.accounting);
  for (const [name, list] of Object.entries(result.foreignSamples))
    if (list.length > 0) console.log(`foreign deliveries (${name} group, first 5): ${JSON.stringify(list)}`);
  if (result.pushAccounting) diag('PushConsumer group', result.pushAccounting);
  if (result.pushAccounting) line('PushConsumer group', result.pushAccounting, result.duplicateBound.push);
  const hs = result.samples.map((s) => s.handles);
  const loads = result.samples.map((s) => s.load1);
  const r = result.rss;
  const all = result.rssAll;
  console.log(
    `RSS while sending, after warm-up (from ${r.fromS} s, ${r.count} samples${result.faults.length > 0 ? '; warm-up = until one report interval after the first fault of each kind ended' : ''}): min ${r.min} · median ${r.median} · max ${r.max} MiB (max deviation ${r.maxDevPct} %, band ±10 %); whole run from ${all.fromS} s: min ${all.min} · median ${all.median} · max ${all.max} MiB (${all.maxDevPct} %); handles ${Math.min(...hs)}–${Math.max(...hs)}; load1 ${Math.min(...loads)}–${Math.max(...loads)}`,
  );
  if (result.rssSteps.length > 0)
    console.log(
      `RSS per fault (last sample before → first sample one interval after it ended): ${result.rssSteps.map((f) => `${f.kind}@${f.at}s ${f.beforeMiB ?? '?'}→${f.afterMiB ?? '?'}`).join(', ')}`,
    );
  console.log(
    `drift (2nd sample → last before drain): RSS ${result.rssDriftPct} %, heap ${result.heapDriftPct} %; drain ${result.drainMs} ms (${result.drained ? 'complete' : 'INCOMPLETE'}); faults ${JSON.stringify(result.faults)}; errors ${JSON.stringify(result.errors)}`,
  );
  if (values.json) console.log(`SOAK_RESULT ${JSON.stringify(result)}`);
  console.log(result.ok ? 'soak: OK' : `soak: FAILED: ${result.problems.join('; ')}`);
  code = result.ok ? 0 : 1;
} finally {
  await proxy?.close();
  await broker.stop();
}
process.exitCode = code;
