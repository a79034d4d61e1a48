/** The targets of issue 8, checked against the aggregated rows of one run. Nothing is assumed. */
import type { ScenarioName, Target } from '../lib/spec.js';
import { findRow, ratio, type Row } from './aggregate.js';

export interface TargetCheck {
  readonly id: string;
  readonly description: string;
  readonly comparator: '>=' | '<=';
  readonly threshold: number;
  readonly unit: string;
  /** Undefined when the figure could not be measured (see `note`). */
  readonly measured?: number | undefined;
  readonly met?: boolean | undefined;
  readonly note?: string | undefined;
}

function check(
  id: string,
  description: string,
  comparator: '>=' | '<=',
  threshold: number,
  unit: string,
  measured: number | undefined,
  note?: string,
): TargetCheck {
  const met =
    measured === undefined ? undefined : comparator === '>=' ? measured >= threshold : measured <= threshold;
  return { id, description, comparator, threshold, unit, measured, met, note };
}

const ts = (rows: readonly Row[], t: Target, s: ScenarioName, v: string) =>
  findRow(rows, t, s, v, 'rocketmq-ts');
const off = (rows: readonly Row[], t: Target, s: ScenarioName, v: string) =>
  findRow(rows, t, s, v, 'official');
const raw = (rows: readonly Row[], t: Target, s: ScenarioName, v: string) =>
  findRow(rows, t, s, v, 'raw-grpc');

const gapNote = (...rows: (Row | undefined)[]): string | undefined => {
  for (const row of rows) {
    if (row === undefined) return 'not run';
    if (row.gap !== undefined) return `gap (${row.client}): ${row.gap}`;
    if (row.ok === 0) return `failed (${row.client})`;
  }
  return undefined;
};

export function checkTargets(rows: readonly Row[], consumeVariant: string): TargetCheck[] {
  const out: TargetCheck[] = [];
  const s16 = 'c=16';
  out.push(
    check(
      'send-c16-vs-official',
      'fake: send c=16, rocketmq-ts ÷ official',
      '>=',
      1.3,
      '×',
      ratio(ts(rows, 'fake', 'send', s16)?.msgsPerSec, off(rows, 'fake', 'send', s16)?.msgsPerSec),
      gapNote(ts(rows, 'fake', 'send', s16), off(rows, 'fake', 'send', s16)),
    ),
    check(
      'send-c16-vs-raw',
      'fake: send c=16, rocketmq-ts ÷ raw grpc-js',
      '>=',
      0.9,
      '×',
      ratio(ts(rows, 'fake', 'send', s16)?.msgsPerSec, raw(rows, 'fake', 'send', s16)?.msgsPerSec),
      gapNote(ts(rows, 'fake', 'send', s16), raw(rows, 'fake', 'send', s16)),
    ),
    check(
      'receive-vs-raw',
      `fake: receive ${consumeVariant}, rocketmq-ts ÷ raw grpc-js`,
      '>=',
      0.9,
      '×',
      ratio(
        ts(rows, 'fake', 'receive', consumeVariant)?.msgsPerSec,
        raw(rows, 'fake', 'receive', consumeVariant)?.msgsPerSec,
      ),
      gapNote(ts(rows, 'fake', 'receive', consumeVariant), raw(rows, 'fake', 'receive', consumeVariant)),
    ),
    check(
      'consume-simple-vs-official',
      `fake: consume (receive + ack) ${consumeVariant}, SimpleConsumer, rocketmq-ts ÷ official`,
      '>=',
      5,
      '×',
      ratio(
        ts(rows, 'fake', 'consume', consumeVariant)?.msgsPerSec,
        off(rows, 'fake', 'consume', consumeVariant)?.msgsPerSec,
      ),
      gapNote(ts(rows, 'fake', 'consume', consumeVariant), off(rows, 'fake', 'consume', consumeVariant)),
    ),
  );
  const pushTs = ts(rows, 'fake', 'push-consume', 'push');
  out.push(
    check(
      'consume-push-vs-official',
      'fake: consume with the PushConsumer, rocketmq-ts ÷ official',
      '>=',
      5,
      '×',
      ratio(pushTs?.msgsPerSec, off(rows, 'fake', 'push-consume', 'push')?.msgsPerSec),
      gapNote(pushTs, off(rows, 'fake', 'push-consume', 'push')),
    ),
    check(
      'cpu-per-consumed-simple',
      'fake: rocketmq-ts client CPU per consumed message (SimpleConsumer)',
      '<=',
      20,
      'µs',
      ts(rows, 'fake', 'consume', consumeVariant)?.cpuUsPerMsg,
      gapNote(ts(rows, 'fake', 'consume', consumeVariant)),
    ),
    check(
      'cpu-per-consumed-push',
      'fake: rocketmq-ts client CPU per consumed message (PushConsumer)',
      '<=',
      20,
      'µs',
      pushTs?.cpuUsPerMsg,
      gapNote(pushTs),
    ),
  );
  const memPush = ts(rows, 'fake', 'memory', 'push');
  const memSimple = ts(rows, 'fake', 'memory', 'simple');
  out.push(
    check(
      'memory-prefetched',
      'fake: retained memory per prefetched 1 KiB message (PushConsumer cache)',
      '<=',
      3,
      'KiB',
      memPush?.extra.retainedKiBPerMsg,
      gapNote(memPush),
    ),
    check(
      'memory-held',
      'fake: retained memory per received-and-held 1 KiB message (SimpleConsumer; no prefetch)',
      '<=',
      3,
      'KiB',
      memSimple?.extra.retainedKiBPerMsg,
      gapNote(memSimple),
    ),
  );
  for (const row of rows) {
    if (row.target !== 'broker' || row.client !== 'rocketmq-ts') continue;
    const o = off(rows, 'broker', row.scenario, row.variant);
    const label = `broker: ${row.scenario} ${row.variant}`;
    if (row.scenario === 'send' || row.scenario === 'consume') {
      out.push(
        check(
          `broker-${row.scenario}-${row.variant}`,
          `${label}, msgs/s rocketmq-ts ÷ official`,
          '>=',
          1,
          '×',
          ratio(row.msgsPerSec, o?.msgsPerSec),
        ),
      );
    } else if (row.scenario === 'e2e') {
      out.push(
        check(
          `broker-e2e-${row.variant}-p50`,
          `${label}, p50 latency rocketmq-ts ÷ official`,
          '<=',
          1,
          '×',
          ratio(row.p50Ms, o?.p50Ms),
          gapNote(row),
        ),
        check(
          `broker-e2e-${row.variant}-p99`,
          `${label}, p99 latency rocketmq-ts ÷ official`,
          '<=',
          1,
          '×',
          ratio(row.p99Ms, o?.p99Ms),
          gapNote(row),
        ),
      );
    } else if (row.scenario === 'startup') {
      out.push(
        check(
          'broker-startup',
          `${label}, time rocketmq-ts ÷ official`,
          '<=',
          1,
          '×',
          ratio(row.p50Ms, o?.p50Ms),
        ),
      );
    }
  }
  return out;
}
