/** The Markdown report of one run: environment, target checks, side-by-side tables, details, gaps. */
import { CLIENTS, type ClientName } from '../adapters/types.js';
import type { Environment } from '../lib/environment.js';
import type { ScenarioName, Target } from '../lib/spec.js';
import { findRow, ratio, type Row } from './aggregate.js';
import type { TargetCheck } from './targets.js';

export interface ReportInput {
  readonly env: Environment;
  readonly mode: 'quick' | 'full';
  readonly runs: number;
  readonly rows: readonly Row[];
  readonly checks: readonly TargetCheck[];
  readonly svgFile?: string | undefined;
  readonly notes: readonly string[];
}

const n = (v: number | undefined, digits = 0): string =>
  v === undefined || !Number.isFinite(v)
    ? '—'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const x = (v: number | undefined): string => (v === undefined ? '—' : `${v.toFixed(2)}×`);

const SCENARIO_LABEL: Record<ScenarioName, string> = {
  send: 'send',
  'send-batching': 'send with auto-batching on vs off (rocketmq-ts, 256-byte bodies)',
  receive: 'receive',
  consume: 'consume (receive + ack)',
  'push-consume': 'consume (push consumer)',
  memory: 'memory',
  startup: 'startup',
  e2e: 'end-to-end latency',
};

function cell(row: Row | undefined, value: (r: Row) => string): string {
  if (row === undefined) return 'not run';
  if (row.gap !== undefined) return 'gap';
  if (row.ok === 0) return 'failed';
  return value(row);
}

function variantsOf(rows: readonly Row[], target: Target, scenario: ScenarioName): string[] {
  return [
    ...new Set(rows.filter((r) => r.target === target && r.scenario === scenario).map((r) => r.variant)),
  ];
}

/** msgs/s of the three clients side by side, with the ratios. */
function throughputTable(rows: readonly Row[], target: Target): string[] {
  const out = [
    '| scenario | rocketmq-ts msgs/s | official msgs/s | raw grpc-js msgs/s | ts ÷ official | ts ÷ raw |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const scenario of ['send', 'receive', 'consume', 'push-consume'] as const) {
    for (const variant of variantsOf(rows, target, scenario)) {
      const get = (c: ClientName) => findRow(rows, target, scenario, variant, c);
      const [t, o, r] = [get('rocketmq-ts'), get('official'), get('raw-grpc')];
      out.push(
        `| ${SCENARIO_LABEL[scenario]} ${variant} | ${cell(t, (v) => n(v.msgsPerSec))} | ${cell(o, (v) => n(v.msgsPerSec))} | ${cell(r, (v) => n(v.msgsPerSec))} | ${x(ratio(t?.msgsPerSec, o?.msgsPerSec))} | ${x(ratio(t?.msgsPerSec, r?.msgsPerSec))} |`,
      );
    }
  }
  return out;
}

/** Latency, CPU and RSS of every client. */
function detailTable(rows: readonly Row[], target: Target): string[] {
  const out = [
    '| scenario | client | msgs/s | p50 ms | p99 ms | client CPU µs/msg | RSS MiB | fake busy | runs ok |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const scenario of ['send', 'receive', 'consume', 'push-consume', 'e2e'] as const) {
    for (const variant of variantsOf(rows, target, scenario)) {
      for (const client of CLIENTS) {
        const r = findRow(rows, target, scenario, variant, client);
        if (r === undefined || r.gap !== undefined) continue;
        out.push(
          `| ${SCENARIO_LABEL[scenario]} ${variant} | ${client} | ${n(r.msgsPerSec)} | ${n(r.p50Ms, 2)} | ${n(r.p99Ms, 2)} | ${n(r.cpuUsPerMsg, 1)} | ${n(r.rssMiB)} | ${r.fakeBusy === undefined ? '—' : `${Math.round(r.fakeBusy * 100)} %`} | ${r.ok}/${r.runs} |`,
        );
      }
    }
  }
  return out;
}

function memoryTable(rows: readonly Row[]): string[] {
  const out = [
    '| client | consumer | messages held | retained KiB/msg (heap + external) | RSS KiB/msg | RSS MiB full | runs ok |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const variant of ['push', 'simple']) {
    for (const client of CLIENTS) {
      const r = findRow(rows, 'fake', 'memory', variant, client);
      if (r === undefined) continue;
      const kind = variant === 'push' ? 'push (prefetch cache)' : 'simple (app holds what it received)';
      if (r.gap !== undefined) {
        out.push(`| ${client} | ${kind} | gap | | | | |`);
        continue;
      }
      out.push(
        `| ${client} | ${kind} | ${n(r.extra.held)} | ${n(r.extra.retainedKiBPerMsg, 2)} | ${n(r.extra.rssKiBPerMsg, 2)} | ${n(r.rssMiB)} | ${r.ok}/${r.runs} |`,
      );
    }
  }
  return out;
}

function e2eTable(rows: readonly Row[]): string[] {
  const out = [
    '| consumer | client | p50 ms | p99 ms | delivered msgs/s (offered) | first message after ms | runs ok |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const variant of ['simple', 'push']) {
    for (const client of CLIENTS) {
      const r = findRow(rows, 'broker', 'e2e', variant, client);
      if (r === undefined || r.gap !== undefined) continue;
      out.push(
        `| ${variant} | ${client} | ${n(r.p50Ms, 1)} | ${n(r.p99Ms, 1)} | ${n(r.msgsPerSec)} (${n(r.extra.offeredRate)}) | ${n(r.extra.firstMessageMs)} | ${r.ok}/${r.runs} |`,
      );
    }
  }
  return out;
}

function startupTable(rows: readonly Row[]): string[] {
  const out = [
    '| target | client | construct → first send receipt ms | of which start() ms | client CPU ms | module import ms |',
    '|---|---|---:|---:|---:|---:|',
  ];
  for (const target of ['fake', 'broker'] as const) {
    for (const client of CLIENTS) {
      const r = findRow(rows, target, 'startup', 'to first send', client);
      if (r === undefined || r.ok === 0) continue;
      out.push(
        `| ${target} | ${client} | ${n(r.p50Ms, 1)} | ${n(r.extra.startMs, 1)} | ${n(r.extra.cpuMs, 1)} | ${n(r.extra.importMs)} |`,
      );
    }
  }
  return out;
}

/** rocketmq-ts sends with auto-batching off and on, per target, with the on ÷ off ratio. */
function batchingTable(rows: readonly Row[]): string[] {
  const out = [
    '| target | variant | off msgs/s | on msgs/s | on ÷ off | off p50 ms | on p50 ms |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const target of ['fake', 'broker'] as const) {
    const variants = variantsOf(rows, target, 'send-batching').map((v) =>
      v.replace(/ auto-batching (on|off)$/, ''),
    );
    for (const variant of new Set(variants)) {
      const get = (mode: 'on' | 'off') =>
        findRow(rows, target, 'send-batching', `${variant} auto-batching ${mode}`, 'rocketmq-ts');
      const [off, on] = [get('off'), get('on')];
      out.push(
        `| ${target} | ${variant} | ${cell(off, (v) => n(v.msgsPerSec))} | ${cell(on, (v) => n(v.msgsPerSec))} | ${x(ratio(on?.msgsPerSec, off?.msgsPerSec))} | ${cell(off, (v) => n(v.p50Ms, 2))} | ${cell(on, (v) => n(v.p50Ms, 2))} |`,
      );
    }
  }
  return out;
}

function checksTable(checks: readonly TargetCheck[]): string[] {
  const out = ['| target | goal | measured | met |', '|---|---:|---:|:---:|'];
  for (const c of checks) {
    const measured =
      c.measured === undefined ? (c.note ?? 'not measured') : `${c.measured.toFixed(2)} ${c.unit}`;
    const met = c.met === undefined ? '—' : c.met ? 'yes' : '**no**';
    out.push(`| ${c.description} | ${c.comparator} ${c.threshold} ${c.unit} | ${measured} | ${met} |`);
  }
  return out;
}

export function renderMarkdown(input: ReportInput): string {
  const { env, rows } = input;
  const lines: string[] = [];
  lines.push(`# Benchmark run ${env.date} (${input.mode})`, '');
  lines.push(
    `- Commit: ${env.commit ?? 'not recorded'}`,
    `- Machine: ${env.cpu}, ${env.cores} cores, ${env.memoryGiB} GiB, ${env.os}`,
    `- Node ${env.node}; ${Object.entries(env.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `- rocketmq-ts measured as: ${env.library ?? '?'}`,
    `- Real broker: ${env.broker ?? 'not run'}`,
    `- Client pinned to core 0, fake broker to core 1: ${env.pinned ? 'yes (taskset)' : 'no'}`,
    `- Load average (1/5/15 min) at start: ${env.loadAverageStart.join(' / ')}; at end: ${env.loadAverageEnd?.join(' / ') ?? '?'}`,
    `- Median of ${input.runs} run(s) per cell; every cell is a fresh worker process.`,
    '',
  );
  for (const note of input.notes) lines.push(`> ${note}`, '');
  lines.push('## Targets', '', ...checksTable(input.checks), '');
  for (const target of ['fake', 'broker'] as const) {
    if (!rows.some((r) => r.target === target)) continue;
    lines.push(
      `## ${target === 'fake' ? 'Fake broker (client cost)' : 'Real broker (end to end; the proxy is the ceiling)'}`,
      '',
    );
    lines.push(...throughputTable(rows, target), '', ...detailTable(rows, target), '');
  }
  if (rows.some((r) => r.scenario === 'send-batching')) {
    lines.push(`## ${SCENARIO_LABEL['send-batching']}`, '', ...batchingTable(rows), '');
  }
  if (rows.some((r) => r.scenario === 'e2e')) {
    lines.push('## End-to-end latency, send → handler (real broker)', '', ...e2eTable(rows), '');
  }
  if (rows.some((r) => r.scenario === 'memory'))
    lines.push('## Memory (fake broker)', '', ...memoryTable(rows), '');
  if (rows.some((r) => r.scenario === 'startup')) lines.push('## Startup', '', ...startupTable(rows), '');
  if (input.svgFile !== undefined)
    lines.push('## Chart', '', `![send throughput by concurrency](${input.svgFile})`, '');
  const gaps = rows.filter((r) => r.gap !== undefined);
  const failures = rows.filter((r) => r.errors.length > 0);
  if (gaps.length > 0 || failures.length > 0) {
    lines.push('## Gaps and failures', '');
    for (const r of gaps) lines.push(`- gap — ${r.target} ${r.scenario} ${r.variant} ${r.client}: ${r.gap}`);
    for (const r of failures) {
      lines.push(
        `- failed ${r.runs - r.ok}/${r.runs} — ${r.target} ${r.scenario} ${r.variant} ${r.client}: ${r.errors.join('; ')}`,
      );
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
