/**
 * `rocketmq-ts bench <topic>`: a simple send load against any endpoint, with progress on long runs and
 * a summary (rates, latency percentiles, errors by code) at the end.
 *
 * @packageDocumentation
 */

import { randomBytes } from 'node:crypto';
import { Producer } from '../../index.js';
import { type BenchResult, type BenchSnapshot, runBench } from '../bench-run.js';
import { type Command, flag, stringValue } from '../command.js';
import { EXIT } from '../exit.js';
import type { TextOut } from '../io.js';
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  type ConnectionValues,
  clientOptions,
  parseCount,
  parseDuration,
  parseSize,
  positional,
  resolveConnection,
  usageError,
} from '../options.js';

const MIB = 1024 * 1024;

/** A printable body of `size` bytes (base64url characters), made once per run. */
function makeBody(size: number): Buffer {
  return Buffer.from(
    randomBytes(Math.ceil((size * 3) / 4) + 3)
      .toString('base64url')
      .slice(0, size),
  );
}

function fmtRate(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

/** One progress line: `[3.0s] 1200/10000 (12%)  400 msg/s now, 398 msg/s avg, 0.39 MiB/s, 0 failed`. */
export function formatProgress(s: BenchSnapshot, total: number | undefined, size: number): string {
  const done = s.succeeded + s.failed;
  const of = total === undefined ? `${done}` : `${done}/${total} (${Math.floor((done * 100) / total)}%)`;
  const mib = (s.averageRate * size) / MIB;
  return `[${(s.elapsedMs / 1000).toFixed(1)}s] ${of}  ${fmtRate(s.currentRate)} msg/s now, ${fmtRate(s.averageRate)} msg/s avg, ${mib.toFixed(2)} MiB/s, ${s.failed} failed`;
}

/** The summary printed at the end. */
export function formatSummary(r: BenchResult, size: number): string {
  const l = r.latency;
  const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(2));
  const lines = [
    `sent ${r.succeeded} messages of ${size} B in ${(r.elapsedMs / 1000).toFixed(2)} s: ${fmtRate(r.averageRate)} msg/s, ${((r.averageRate * size) / MIB).toFixed(2)} MiB/s; ${r.failed} failed`,
    `latency ms: min ${ms(l.minMs)}  p50 ${ms(l.p50Ms)}  p90 ${ms(l.p90Ms)}  p99 ${ms(l.p99Ms)}  max ${ms(l.maxMs)}  mean ${ms(l.meanMs)}`,
  ];
  if (r.errors.size > 0) {
    lines.push(`errors: ${[...r.errors].map(([code, n]) => `${code} ×${n}`).join(', ')}`);
  }
  if (r.stoppedBy === 'interrupted') lines.push('interrupted before the end');
  return `${lines.join('\n')}\n`;
}

function summaryJson(r: BenchResult, size: number, concurrency: number): Record<string, unknown> {
  return {
    succeeded: r.succeeded,
    failed: r.failed,
    elapsedMs: Math.round(r.elapsedMs),
    messagesPerSecond: Number(r.averageRate.toFixed(1)),
    mibPerSecond: Number(((r.averageRate * size) / MIB).toFixed(3)),
    sizeBytes: size,
    concurrency,
    latencyMs: r.latency,
    errors: Object.fromEntries(r.errors),
    stoppedBy: r.stoppedBy,
  };
}

/** Writes progress lines; on a terminal each line replaces the previous one. */
function progressWriter(out: TextOut): { line(text: string): void; done(): void } {
  let drawn = false;
  return {
    line: (text) => {
      if (out.isTTY === true) {
        out.write(`\r\u001b[2K${text}`);
        drawn = true;
      } else out.write(`${text}\n`);
    },
    done: () => {
      if (drawn) out.write('\n');
    },
  };
}

export const benchCommand: Command = {
  name: 'bench',
  summary: 'send load to a topic and report rates and latency',
  help: `Usage: rocketmq-ts bench <topic> [options]

Sends --count messages of --size bytes to <topic> from --concurrency parallel senders, shows progress
on stderr while it runs, and prints rates and latency percentiles at the end. Exits 1 if any send
failed; a non-retriable error (e.g. TOPIC_NOT_FOUND) stops the run at once.

Load:
  -n, --count <n>              messages to send (default 10000; with --duration, at most this many)
      --duration <dur>         send for this long instead, e.g. 30s
  -c, --concurrency <n>        sends in flight (default 16)
  -s, --size <bytes>           body size, e.g. 512, 4k, 1m (default 1k)
      --tag <tag>              tag of every message
      --progress-interval <dur> progress period (default 1s)
      --no-progress            no progress lines
      --json                   print the summary as JSON

${CONNECTION_HELP}

Example:
  rocketmq-ts bench load-test -n 100000 -c 64 -s 2k -e 127.0.0.1:8081`,
  options: {
    ...CONNECTION_OPTIONS,
    count: { type: 'string', short: 'n' },
    duration: { type: 'string' },
    concurrency: { type: 'string', short: 'c' },
    size: { type: 'string', short: 's' },
    tag: { type: 'string' },
    'progress-interval': { type: 'string' },
    'no-progress': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run({ io, values, positionals, errorContext }) {
    const topic = positional(positionals, 0, 'topic: rocketmq-ts bench <topic>');
    if (positionals.length > 1) throw usageError(`unexpected argument "${positionals[1]}"`);
    errorContext.topic = topic;
    const durationText = stringValue(values, 'duration');
    const durationMs = durationText === undefined ? undefined : parseDuration(durationText, '--duration');
    const countText = stringValue(values, 'count');
    const count =
      countText === undefined
        ? durationMs === undefined
          ? 10_000
          : undefined
        : parseCount(countText, '--count');
    const concurrency = parseCount(stringValue(values, 'concurrency') ?? '16', '--concurrency', {
      max: 4096,
    });
    const size = parseSize(stringValue(values, 'size') ?? '1k', '--size');
    const tag = stringValue(values, 'tag');
    const progressMs = flag(values, 'no-progress')
      ? undefined
      : parseDuration(stringValue(values, 'progress-interval') ?? '1s', '--progress-interval');
    const conn = resolveConnection(values as ConnectionValues, io);
    errorContext.endpoint = conn.endpoints;
    errorContext.authenticated = conn.authenticated;

    const body = makeBody(size);
    const producer = new Producer({ ...clientOptions(conn), topics: [topic] });
    let result: BenchResult;
    try {
      await producer.start({ signal: io.signal });
      const total = count === undefined ? 'until the time is up' : `${count} messages`;
      io.stderr.write(
        `bench: ${total}${durationMs === undefined ? '' : ` (at most ${durationText})`} of ${size} B to ${topic}, concurrency ${concurrency}\n`,
      );
      const progress = progressWriter(io.stderr);
      result = await runBench({
        send: (_i, signal) =>
          producer.send({ topic, body, ...(tag === undefined ? {} : { tag }) }, { signal }),
        count,
        durationMs,
        concurrency,
        now: io.now,
        timers: io.timers,
        signal: io.signal,
        progressIntervalMs: progressMs,
        onProgress: (s) => progress.line(formatProgress(s, count, size)),
      });
      progress.done();
    } finally {
      await producer.shutdown();
    }
    io.stdout.write(
      flag(values, 'json')
        ? `${JSON.stringify(summaryJson(result, size, concurrency))}\n`
        : formatSummary(result, size),
    );
    if (result.fatal !== undefined) throw result.fatal;
    if (result.stoppedBy === 'interrupted') return EXIT.INTERRUPTED;
    return result.failed > 0 ? EXIT.FAILED : EXIT.OK;
  },
};
