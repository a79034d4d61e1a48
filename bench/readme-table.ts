/**
 * Prints the README's performance table for one results file:
 * `npx tsx bench/readme-table.ts bench/results/<date>.json`.
 */
import { readFileSync } from 'node:fs';
import { CLIENTS, type ClientName } from './adapters/types.js';
import type { Environment } from './lib/environment.js';
import type { RunResult, ScenarioName, Target } from './lib/spec.js';
import { aggregate, findRow, ratio, type Row } from './report/aggregate.js';
import { checkTargets } from './report/targets.js';

const file = process.argv[2];
if (file === undefined) {
  console.error('usage: tsx bench/readme-table.ts <results.json>');
  process.exit(2);
}
const data = JSON.parse(readFileSync(file, 'utf8')) as {
  env: Environment;
  runs: number;
  results: RunResult[];
};
const rows = aggregate(data.results);
const fmt = (v: number | undefined, d = 0): string =>
  v === undefined || !Number.isFinite(v)
    ? '—'
    : v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const x = (v: number | undefined): string => (v === undefined ? '—' : `${v.toFixed(2)}×`);
const get = (t: Target, s: ScenarioName, v: string, c: ClientName): Row | undefined =>
  findRow(rows, t, s, v, c);

const LABEL: Partial<Record<ScenarioName, string>> = {
  send: 'send',
  receive: 'receive',
  consume: 'consume: receive + ack (SimpleConsumer)',
  'push-consume': 'consume: PushConsumer',
};
const out: string[] = [];
out.push(
  '| target | scenario | rocketmq-ts | official | raw grpc-js | ts ÷ official | ts ÷ raw | ts CPU µs/msg |',
);
out.push('|---|---|---:|---:|---:|---:|---:|---:|');
for (const target of ['fake', 'broker'] as const) {
  for (const scenario of ['send', 'receive', 'consume', 'push-consume'] as const) {
    const variants = [
      ...new Set(rows.filter((r) => r.target === target && r.scenario === scenario).map((r) => r.variant)),
    ];
    for (const variant of variants) {
      const [t, o, r] = CLIENTS.map((c) => get(target, scenario, variant, c));
      const cell = (row: Row | undefined) =>
        row === undefined || row.gap !== undefined || row.ok === 0 ? '—' : `${fmt(row.msgsPerSec)}/s`;
      out.push(
        `| ${target} | ${LABEL[scenario]} ${variant.replace('batch=32 ', 'batch 32, ')} | ${cell(t)} | ${cell(o)} | ${cell(r)} | ${x(ratio(t?.msgsPerSec, o?.msgsPerSec))} | ${x(ratio(t?.msgsPerSec, r?.msgsPerSec))} | ${fmt(t?.cpuUsPerMsg)} |`,
      );
    }
  }
  for (const variant of ['simple', 'push']) {
    const [t, o, r] = CLIENTS.map((c) => get(target, 'e2e', variant, c));
    if (t === undefined) continue;
    const lat = (row: Row | undefined) =>
      row === undefined || row.gap !== undefined || row.ok === 0
        ? '—'
        : `${fmt(row.p50Ms, 1)} / ${fmt(row.p99Ms)} ms`;
    out.push(
      `| ${target} | send → handler p50 / p99, ${variant} consumer, 500 msgs/s | ${lat(t)} | ${lat(o)} | ${lat(r)} | ${x(ratio(t?.p50Ms, o?.p50Ms))} (p50) | | |`,
    );
  }
  const [ts, of, rw] = CLIENTS.map((c) => get(target, 'startup', 'to first send', c));
  if (ts !== undefined) {
    const ms = (row: Row | undefined) => (row === undefined || row.ok === 0 ? '—' : `${fmt(row.p50Ms)} ms`);
    out.push(
      `| ${target} | startup: construct → first send receipt | ${ms(ts)} | ${ms(of)} | ${ms(rw)} | ${x(ratio(ts.p50Ms, of?.p50Ms))} | | |`,
    );
  }
}
for (const variant of ['push', 'simple']) {
  const [t, o, r] = CLIENTS.map((c) => get('fake', 'memory', variant, c));
  const kib = (row: Row | undefined) =>
    row === undefined || row.gap !== undefined || row.ok === 0
      ? '—'
      : `${fmt(row.extra.retainedKiBPerMsg, 2)} KiB`;
  const what = variant === 'push' ? '10 000 prefetched (push cache)' : '10 000 received and held (simple)';
  out.push(`| fake | memory per 1 KiB message, ${what} | ${kib(t)} | ${kib(o)} | ${kib(r)} | | | |`);
}
console.log(out.join('\n'));
console.log();
console.log('| target check | goal | measured | met |');
console.log('|---|---:|---:|:---:|');
for (const c of checkTargets(rows, 'batch=32 c=4')) {
  const m = c.measured === undefined ? (c.note ?? '—') : `${c.measured.toFixed(2)} ${c.unit}`;
  console.log(
    `| ${c.description} | ${c.comparator} ${c.threshold} ${c.unit} | ${m} | ${c.met === undefined ? '—' : c.met ? 'yes' : 'no'} |`,
  );
}
