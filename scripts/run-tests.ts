/**
 * The project's test entry (`npm test` runs typecheck + lint, then this).
 *
 *   tsx scripts/run-tests.ts            unit + component + integration
 *   tsx scripts/run-tests.ts unit       only test/unit
 *   tsx scripts/run-tests.ts integration
 *   tsx scripts/run-tests.ts test/unit/x.test.ts   given files only (no shared broker)
 *
 * Integration tests need a real RocketMQ 5.x broker. This runner obtains ONE shared broker
 * through the testcontainers/ harness (existing endpoint → Docker → local JVM from Maven jars),
 * passes it to every test file through the environment (ROCKETMQ_ENDPOINT, ROCKETMQ_NAMESRV,
 * ROCKETMQ_TS_SHARED_BROKER), and stops it afterwards — also on failure and on SIGINT/SIGTERM.
 * All selected files run in a single `node --test` invocation so there is one summary.
 * With CI=true a missing broker is a failure, never a skip.
 *
 * A second reporter (`scripts/skip-reporter.mjs`) records every skipped test; the runner prints them
 * with their reasons and, with CI=true, fails the run when one is not on the allow-list of
 * `scripts/skip-policy.ts` (runtime capabilities only).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describeSkips, judgeSkips, parseSkipLines } from './skip-policy.js';

const ROOT = resolve(import.meta.dirname, '..');
const SUITES = ['unit', 'component', 'integration'] as const;
type Suite = (typeof SUITES)[number];

function findTests(dir: string, out: string[] = []): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names.sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(ROOT, p));
  }
  return out;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  // Arguments are suite names or test files (a file is run as given, without a shared broker).
  const isFile = (a: string) => !SUITES.includes(a as Suite) && a.endsWith('.ts') && existsSync(resolve(a));
  const wanted = (args.length > 0 ? args.filter((a) => !isFile(a)) : [...SUITES]) as Suite[];
  for (const s of wanted) {
    if (!SUITES.includes(s)) {
      console.error(`unknown suite "${s}"; expected one of ${SUITES.join(', ')} or a test file`);
      return 2;
    }
  }
  const files = [
    ...wanted.flatMap((s) => findTests(join(ROOT, 'test', s))),
    ...args.filter(isFile).map((a) => relative(ROOT, resolve(a))),
  ];
  if (files.length === 0) {
    console.error('no test files found');
    return 1;
  }

  const env: NodeJS.ProcessEnv = { ...process.env };
  let stopBroker: (() => Promise<void>) | undefined;
  if (wanted.includes('integration') && !process.env.ROCKETMQ_ENDPOINT) {
    const { startSharedBroker } = await import('../testcontainers/index.js');
    const started = Date.now();
    const shared = await startSharedBroker({ log: (line: string) => console.log(`[broker] ${line}`) });
    if (shared) {
      console.log(`[broker] ready in ${Date.now() - started} ms: ${shared.describe}`);
      Object.assign(env, shared.env);
      stopBroker = shared.stop;
    } else if (process.env.CI === 'true') {
      console.error(
        '[broker] no RocketMQ broker can be started and CI=true: integration tests are required.',
      );
      return 1;
    }
  }

  const stop = async () => {
    const s = stopBroker;
    stopBroker = undefined;
    if (s) await s().catch((e: unknown) => console.error('[broker] stop failed', e));
  };
  const onSignal = (sig: NodeJS.Signals) => {
    void stop().then(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const skipDir = mkdtempSync(join(tmpdir(), 'rocketmq-ts-skips-'));
  const skipFile = join(skipDir, 'skips.jsonl');
  try {
    const code = await new Promise<number>((resolveCode) => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '--test',
          '--test-reporter=spec',
          '--test-reporter-destination=stdout',
          `--test-reporter=${join(ROOT, 'scripts/skip-reporter.mjs')}`,
          `--test-reporter-destination=${skipFile}`,
          '--test-concurrency=2',
          ...files,
        ],
        { cwd: ROOT, env, stdio: 'inherit' },
      );
      child.on('exit', (c, sig) => resolveCode(c ?? (sig ? 1 : 0)));
    });
    let skipsText = '';
    try {
      skipsText = readFileSync(skipFile, 'utf8');
    } catch {
      // no file: the reporter wrote nothing (no test ran to the end, or none skipped)
    }
    const verdict = judgeSkips(parseSkipLines(skipsText), { ci: process.env.CI === 'true' });
    for (const line of describeSkips(verdict, ROOT)) (verdict.fail ? console.error : console.log)(line);
    return code === 0 && verdict.fail ? 1 : code;
  } finally {
    rmSync(skipDir, { recursive: true, force: true });
    await stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
