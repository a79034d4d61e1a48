/**
 * Keeps the benchmark from rotting: runs `bench/run.ts --quick` (fake broker only, short windows) in a
 * child process and checks that it produced well-formed results for every client and scenario. It
 * asserts shapes only — never speed (figures of a quick run mean nothing).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CLIENTS = ['rocketmq-ts', 'official', 'raw-grpc'];
const SCENARIOS = ['send', 'receive', 'consume', 'push-consume', 'memory', 'startup'];
const TIME_LIMIT_MS = 28_000;

interface Result {
  client: string;
  scenario: string;
  variant: string;
  ok: boolean;
  gap?: string;
  error?: string;
  msgsPerSec?: number;
  p50Ms?: number;
  cpuUsPerMsg?: number;
  extra?: Record<string, number>;
}

const finitePositive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;

let child: ChildProcess | undefined;
const outDir = mkdtempSync(join(tmpdir(), 'rocketmq-ts-bench-'));
after(() => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(outDir, { recursive: true, force: true });
});

function runQuick(): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', outDir], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = proc;
    let stderr = '';
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      // SIGINT lets the runner kill its own children (fake broker, workers) before exiting.
      proc.kill('SIGINT');
      reject(new Error(`bench --quick did not finish within ${TIME_LIMIT_MS} ms\n${stderr}`));
    }, TIME_LIMIT_MS);
    timer.unref();
    proc.once('error', reject);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stderr });
    });
  });
}

test('npm run bench -- --quick writes a well-formed report for every client and scenario', {
  timeout: 40_000,
}, async () => {
  const { code, stderr } = await runQuick();
  assert.equal(code, 0, `bench --quick failed:\n${stderr}`);

  const files = readdirSync(outDir);
  const base = files.find((f) => f.endsWith('-quick.json'))?.replace(/\.json$/, '');
  assert.ok(base, `no JSON result in ${files.join(', ')}`);
  for (const ext of ['.md', '.svg']) assert.ok(files.includes(`${base}${ext}`), `missing ${base}${ext}`);

  const report = JSON.parse(readFileSync(join(outDir, `${base}.json`), 'utf8')) as {
    mode: string;
    env: { node: string; loadAverageStart: number[]; versions: Record<string, string> };
    results: Result[];
    rows: unknown[];
    checks: { id: string }[];
  };
  assert.equal(report.mode, 'quick');
  assert.equal(report.env.node, process.version);
  assert.equal(report.env.loadAverageStart.length, 3);
  assert.equal(report.env.versions['rocketmq-client-nodejs'], '1.0.8');
  assert.ok(report.rows.length > 0 && report.checks.length > 0);

  for (const client of CLIENTS) {
    for (const scenario of SCENARIOS) {
      const mine = report.results.filter((r) => r.client === client && r.scenario === scenario);
      assert.ok(mine.length > 0, `no ${scenario} result for ${client}`);
      for (const r of mine) {
        const label = `${client} ${scenario} ${r.variant}`;
        if (r.gap !== undefined) {
          assert.equal(r.ok, false, label);
          assert.ok(r.gap.length > 0, label);
          continue;
        }
        assert.equal(r.ok, true, `${label}: ${r.error ?? 'not ok'}`);
        if (scenario === 'memory') {
          assert.ok(finitePositive(r.extra?.held), `${label}: held`);
          assert.ok(Number.isFinite(r.extra?.retainedKiBPerMsg), `${label}: retainedKiBPerMsg`);
        } else if (scenario === 'startup') {
          assert.ok(finitePositive(r.p50Ms), `${label}: startup time`);
        } else {
          assert.ok(finitePositive(r.msgsPerSec), `${label}: msgs/s`);
          assert.ok(finitePositive(r.cpuUsPerMsg), `${label}: CPU per message`);
        }
      }
    }
  }
  // Only the raw client has no push consumer (and rocketmq-ts until its PushConsumer is exported).
  for (const r of report.results.filter((x) => x.gap !== undefined)) {
    const allowed =
      r.client === 'raw-grpc' || (r.client === 'rocketmq-ts' && /not exported/.test(r.gap ?? ''));
    assert.ok(allowed, `unexpected gap: ${r.client} ${r.scenario}: ${r.gap}`);
  }

  const md = readFileSync(join(outDir, `${base}.md`), 'utf8');
  for (const heading of ['## Targets', '## Fake broker', '## Memory', '## Startup'])
    assert.ok(md.includes(heading), heading);
  const svg = readFileSync(join(outDir, `${base}.svg`), 'utf8');
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  for (const client of CLIENTS) assert.ok(svg.includes(`>${client}</text>`), `legend of ${client}`);
});
