/**
 * The benchmark runner: `npm run bench` (full matrix, ≥ 3 runs, fake + real broker) or
 * `npm run bench -- --quick` (short smoke run on the fake broker; no timing meaning).
 *
 * Options:
 *   --quick               short smoke run (fake only unless --targets says otherwise)
 *   --runs N              runs per cell (default 3; quick 1)
 *   --targets fake,broker which targets (default both; quick: fake)
 *   --clients a,b         subset of rocketmq-ts,official,raw-grpc
 *   --scenarios a,b       subset of send,send-batching,receive,consume,push-consume,memory,startup,e2e
 *                         (send-batching: rocketmq-ts auto-batching off vs on, c=256, 256-byte
 *                         bodies; in quick runs only when named here)
 *   --send-levels 16,64   send concurrencies instead of the default 1,16,64,256 (quick: 1,16)
 *   --own-broker          start a broker of our own instead of using ROCKETMQ_ENDPOINT
 *   --build / --no-build  measure the tsc build of src/ (default for full runs) or src/ through tsx
 *                         (default for quick runs; see lib/library.ts)
 *   --out DIR             where to write <date>.md/.json/.svg (default bench/results; quick: .cache/bench-quick)
 *
 * Every child (fake broker, workers) is killed on exit, failure and SIGINT/SIGTERM; a broker we started
 * is stopped.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CLIENTS, type ClientName } from './adapters/types.js';
import { killAll, ROOT, spawnNode, waitForMessage } from './lib/children.js';
import { describeEnvironment } from './lib/environment.js';
import { buildLibrary, LIB_ENV } from './lib/library.js';
import { prefill } from './lib/prefill.js';
import type { RunResult, ScenarioName, Target } from './lib/spec.js';
import { variantOf } from './lib/spec.js';
import { FAKE_CORE, runWorker } from './lib/workers.js';
import { type PlannedSpec, plan } from './plan.js';
import { aggregate } from './report/aggregate.js';
import { renderMarkdown } from './report/markdown.js';
import { throughputSvg } from './report/svg.js';
import { checkTargets } from './report/targets.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    targets: { type: 'string' },
    clients: { type: 'string' },
    scenarios: { type: 'string' },
    'send-levels': { type: 'string' },
    'own-broker': { type: 'boolean', default: false },
    build: { type: 'boolean' },
    'no-build': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const quick = values.quick === true;
const runs = Number(values.runs ?? (quick ? 1 : 3));
const targets = (values.targets?.split(',') ?? (quick ? ['fake'] : ['fake', 'broker'])) as Target[];
const clients = (values.clients?.split(',') ?? [...CLIENTS]) as ClientName[];
const scenarios = values.scenarios?.split(',') as ScenarioName[] | undefined;
const sendLevels = values['send-levels']?.split(',').map((level) => {
  const n = Number(level);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--send-levels: not a positive integer: ${level}`);
  return n;
});
const outDir = resolve(ROOT, values.out ?? (quick ? '.cache/bench-quick' : 'bench/results'));
const build = values['no-build'] === true ? false : (values.build ?? !quick);
const log = (line: string): void => console.error(`[bench] ${line}`);

let stopBroker: (() => Promise<void>) | undefined;
async function cleanup(): Promise<void> {
  await killAll();
  const stop = stopBroker;
  stopBroker = undefined;
  await stop?.().catch((err: unknown) => log(`broker stop failed: ${String(err)}`));
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping children`);
    void cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  });
}

const describe = (r: RunResult): string => {
  if (r.gap !== undefined) return `gap (${r.gap})`;
  if (!r.ok) return `FAILED ${r.error?.split('\n')[0]}`;
  const parts = [];
  if (r.msgsPerSec !== undefined) parts.push(`${Math.round(r.msgsPerSec)} msgs/s`);
  if (r.p50Ms !== undefined) parts.push(`p50 ${r.p50Ms.toFixed(2)} ms`);
  if (r.cpuUsPerMsg !== undefined) parts.push(`${r.cpuUsPerMsg.toFixed(1)} µs CPU/msg`);
  if (r.extra?.retainedKiBPerMsg !== undefined) parts.push(`${r.extra.retainedKiBPerMsg.toFixed(2)} KiB/msg`);
  if (r.fakeBusy !== undefined) parts.push(`fake ${Math.round(r.fakeBusy * 100)} %`);
  return parts.join(', ');
};

const cellKey = (p: PlannedSpec): string =>
  `${p.spec.target}|${p.spec.scenario}|${variantOf(p.spec)}|${p.spec.client}`;

async function runPlanned(
  planned: readonly PlannedSpec[],
  results: RunResult[],
  before?: (p: PlannedSpec) => Promise<void>,
): Promise<void> {
  const gaps = new Set<string>();
  for (const [i, p] of planned.entries()) {
    if (gaps.has(cellKey(p))) continue;
    await before?.(p);
    const [result] = await runWorker([p.spec]);
    const r = result!;
    results.push(r);
    if (r.gap !== undefined) gaps.add(cellKey(p));
    log(
      `${i + 1}/${planned.length} ${p.spec.target} ${p.spec.scenario} ${r.variant} ${p.spec.client} run ${p.run}: ${describe(r)}`,
    );
  }
}

async function runFake(results: RunResult[], runId: string): Promise<void> {
  const fake = spawnNode(['bench/fake/main.ts'], FAKE_CORE);
  const ready = await waitForMessage(
    fake,
    (m): m is { type: 'ready'; port: number } => (m as { type?: string })?.type === 'ready',
    30_000,
  );
  const endpoint = `127.0.0.1:${ready.port}`;
  log(`fake broker on ${endpoint}`);
  const planned = plan('fake', { quick, runs, clients, scenarios, endpoint, runId, sendLevels });
  if (quick) {
    // Smoke run: one worker per client, in parallel (figures are not comparable in this mode).
    const byClient = clients.map((c) => planned.filter((p) => p.spec.client === c).map((p) => p.spec));
    const all = await Promise.all(byClient.map((specs) => runWorker(specs, false)));
    for (const r of all.flat()) {
      results.push(r);
      log(`fake ${r.scenario} ${r.variant} ${r.client}: ${describe(r)}`);
    }
  } else {
    await runPlanned(planned, results);
  }
  fake.kill('SIGTERM');
}

async function runBroker(
  results: RunResult[],
  runId: string,
  env: ReturnType<typeof describeEnvironment>,
): Promise<void> {
  const { startBroker, rocketmqVersion } = await import('../testcontainers/index.js');
  const broker = await startBroker({
    ignoreEnv: values['own-broker'] === true,
    log: (l) => log(`broker: ${l}`),
  });
  stopBroker = () => broker.stop();
  env.broker = `${broker.source ?? '?'} at ${broker.endpoint} (RocketMQ ${rocketmqVersion()}${broker.source === 'env' ? ', version as configured for the harness' : ''})`;
  log(`real broker: ${env.broker}`);
  const planned = plan('broker', {
    quick,
    runs,
    clients,
    scenarios,
    endpoint: broker.endpoint,
    runId,
    sendLevels,
  });
  const shared = new Set<string>();
  await runPlanned(planned, results, async (p) => {
    const { topic, group } = p.spec;
    if (!shared.has(topic)) {
      await broker.createTopic(topic, 'NORMAL');
      if (!p.fresh) shared.add(topic);
    }
    await broker.createConsumerGroup(group);
    if (p.prefill > 0) {
      log(`prefilling ${topic} with ${p.prefill} messages`);
      await prefill(broker.endpoint, topic, p.prefill, p.spec.bodySize);
    }
  });
}

function stamp(d: Date): string {
  const pad = (v: number) => String(v).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}`;
}

async function main(): Promise<number> {
  const env = describeEnvironment();
  const started = new Date();
  const runId = `${started.getTime().toString(36)}`;
  log(
    `${quick ? 'quick' : 'full'} run: targets ${targets.join(',')}, clients ${clients.join(',')}, ${runs} run(s); load ${env.loadAverageStart.join(' ')}`,
  );
  if (build) {
    log('compiling src/ with tsc (the shipped JavaScript is what is measured)');
    const built = buildLibrary();
    if ('dir' in built) {
      process.env[LIB_ENV] = built.dir;
      env.library = `tsc build of src/ (${relative(ROOT, built.dir)})`;
    } else {
      log(built.error);
      env.library = 'src/ through tsx (the tsc build failed)';
    }
  } else env.library = 'src/ through tsx (esbuild keepNames adds a __name() call per closure)';
  const results: RunResult[] = [];
  try {
    if (targets.includes('fake')) await runFake(results, runId);
    if (targets.includes('broker')) await runBroker(results, runId, env);
  } finally {
    await cleanup();
  }
  env.loadAverageEnd = os.loadavg().map((v) => Math.round(v * 100) / 100);
  const rows = aggregate(results);
  const checks = checkTargets(rows, 'batch=32 c=4');
  const name = `${stamp(started)}${quick ? '-quick' : ''}`;
  mkdirSync(outDir, { recursive: true });
  const svg = throughputSvg(
    rows,
    `${env.cpu}, ${env.cores} cores; Node ${env.node}; ${started.toISOString().slice(0, 10)}`,
  );
  if (svg !== undefined) writeFileSync(join(outDir, `${name}.svg`), svg);
  const notes = [
    ...(quick
      ? [
          'Quick smoke run: short windows, clients run in parallel — the figures only show that the benchmark works.',
        ]
      : []),
    ...(Math.max(...env.loadAverageStart, ...(env.loadAverageEnd ?? [])) >= 1
      ? ['The machine was not idle (load average ≥ 1 at start or end): figures are noisier than usual.']
      : []),
  ];
  const md = renderMarkdown({
    env,
    mode: quick ? 'quick' : 'full',
    runs,
    rows,
    checks,
    svgFile: svg === undefined ? undefined : `${name}.svg`,
    notes,
  });
  writeFileSync(join(outDir, `${name}.md`), md);
  writeFileSync(
    join(outDir, `${name}.json`),
    `${JSON.stringify({ env, mode: quick ? 'quick' : 'full', runs, checks, rows, results }, null, 2)}\n`,
  );
  log(`wrote ${relative(ROOT, join(outDir, `${name}.md`))} (+ .json${svg === undefined ? '' : ', .svg'})`);
  const failed = results.filter((r) => !r.ok && r.gap === undefined).length;
  if (failed > 0) log(`${failed} measurement(s) failed; see the report`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cleanup();
    process.exit(1);
  },
);
