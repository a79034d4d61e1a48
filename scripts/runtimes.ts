/**
 * The client on other runtimes: Node.js 22 and 24, Bun and Deno, installed from the npm registry
 * (pinned, see scripts/runtimes/install.ts; offline once cached).
 *
 *   npx tsx scripts/runtimes.ts install [ids…]        fetch + unpack the runtimes (default: all)
 *   npx tsx scripts/runtimes.ts suite [node22 node24]  the unit + component suites on that Node (the zstd
 *                                                     decode test must pass there, not skip)
 *   npx tsx scripts/runtimes.ts smoke [ids…]          on each runtime: every example on the in-process
 *                                                     broker hosted by that runtime, every example against a
 *                                                     real broker with authentication on, and the ACL smoke
 *   npx tsx scripts/runtimes.ts bundle [ids…]          a one-file esbuild bundle of a producer + push
 *                                                     consumer service, run from a read-only directory with
 *                                                     HOME unset (on this Node and on each runtime given)
 *   npx tsx scripts/runtimes.ts ci                    install, then the suites, then smoke + bundle (CI: .ci/run;
 *                                                     ROCKETMQ_TS_RUNTIMES_PARALLEL=1 runs both at once)
 *
 * Runtime ids: node22, node24, bun, deno. The real broker: ROCKETMQ_ENDPOINT with ROCKETMQ_NAMESRV,
 * ROCKETMQ_ACCESS_KEY and ROCKETMQ_SECRET_KEY when they name a broker with authentication on, else one
 * started here (`startBroker({ acl: true })`) and stopped at the end. Each run's output is kept in
 * `.cache/runtimes-logs/`; a failure prints it. Exit code 0 only when everything passed.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { BrokerHandle } from '../testcontainers/index.js';
import { EXAMPLES, exampleOutputProblem, IN_PROCESS_ONLY } from '../test/helpers/example-outputs.js';
import {
  installRuntime,
  RUNTIMES,
  type RuntimeId,
  type RuntimeSpec,
  runtimeSpec,
} from './runtimes/install.js';

const ROOT = resolve(import.meta.dirname, '..');
const LOGS = join(ROOT, '.cache', 'runtimes-logs');
/** Example processes at a time (they mostly wait on the broker or on their own timers). */
const JOBS = Math.max(1, Number(process.env.ROCKETMQ_TS_RUNTIMES_JOBS ?? '2'));

const t0 = Date.now();
function log(line: string): void {
  console.log(`[runtimes ${String(Math.round((Date.now() - t0) / 1000)).padStart(4)} s] ${line}`);
}

interface Installed {
  readonly spec: RuntimeSpec;
  readonly bin: string;
}

interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly ms: number;
}

function runProcess(
  cmd: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number; logName: string },
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolveRun) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? ROOT,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: opts.timeoutMs,
      killSignal: 'SIGKILL',
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      mkdirSync(LOGS, { recursive: true });
      writeFileSync(join(LOGS, `${opts.logName}.log`), `$ ${cmd} ${args.join(' ')}\n${out}`);
      resolveRun({ code, signal, out, ms: Date.now() - started });
    };
    child.on('error', (err) => {
      out += `\nspawn failed: ${err.message}`;
      finish(null, null);
    });
    child.on('close', finish);
  });
}

/** Runs `tasks` with at most `jobs` at a time. */
async function pool<T>(jobs: number, tasks: ReadonlyArray<() => Promise<T>>): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const lane = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await (tasks[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, lane));
  return results;
}

/** How a runtime runs a TypeScript file of this repository. */
function tsCommand(rt: Installed, file: string): [string, string[]] {
  switch (rt.spec.id) {
    case 'node22':
    case 'node24':
      return [rt.bin, ['--import', 'tsx', file]];
    case 'bun':
      return [rt.bin, [file]];
    case 'deno':
      // node_modules as npm installed it; `.js` specifiers resolved to the `.ts` sources.
      return [rt.bin, ['run', '-A', '--node-modules-dir=manual', '--sloppy-imports', file]];
  }
}

/** How a runtime runs a plain JavaScript file. */
function jsCommand(rt: Installed, file: string): [string, string[]] {
  return rt.spec.id === 'deno' ? [rt.bin, ['run', '-A', file]] : [rt.bin, [file]];
}

function runtimeEnv(rt: Installed, extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${dirname(rt.bin)}:${process.env.PATH ?? ''}`, NODE_DEBUG: '', ...extra };
}

interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly detail: string;
  readonly logName: string;
}

function report(check: Check): Check {
  log(
    `${check.ok ? 'ok  ' : 'FAIL'} ${check.name} (${(check.ms / 1000).toFixed(1)} s)${check.ok ? '' : `: ${check.detail}`}`,
  );
  return check;
}

/** Prints the last lines of each failed check's output. */
function failureOutput(checks: readonly Check[]): void {
  for (const c of checks.filter((x) => !x.ok)) {
    console.log(`\n──── ${c.name}: ${c.detail}\n──── last 60 lines of .cache/runtimes-logs/${c.logName}.log`);
    const text = existsSync(join(LOGS, `${c.logName}.log`))
      ? readFileSync(join(LOGS, `${c.logName}.log`), 'utf8')
      : '';
    console.log(text.trimEnd().split('\n').slice(-60).join('\n'));
  }
}

// ── install ───────────────────────────────────────────────────────────────────────────────────────

async function install(ids: readonly RuntimeId[]): Promise<Installed[]> {
  return Promise.all(
    ids.map(async (id) => {
      const spec = runtimeSpec(id);
      return { spec, bin: await installRuntime(spec, log) };
    }),
  );
}

// ── suites ────────────────────────────────────────────────────────────────────────────────────────

/** The zstd decoding test, which skips on a Node without zlib.zstdDecompressSync. */
const ZSTD_TEST = 'decoded when the running Node has zlib.zstdDecompressSync';

async function suite(rt: Installed): Promise<Check> {
  const name = `${rt.spec.id}: unit + component suites`;
  const logName = `${rt.spec.id}-suite`;
  const r = await runProcess(rt.bin, ['--import', 'tsx', 'scripts/run-tests.ts', 'unit', 'component'], {
    env: runtimeEnv(rt, {}),
    timeoutMs: 20 * 60_000,
    logName,
  });
  const summary = ['tests', 'pass', 'fail', 'skipped', 'todo']
    .map((k) => r.out.match(new RegExp(`^ℹ ${k} (\\d+)$`, 'm'))?.[1])
    .map((v, i) => `${['tests', 'pass', 'fail', 'skipped', 'todo'][i]} ${v ?? '?'}`)
    .join(', ');
  const zstdLine = r.out.split('\n').find((l) => l.includes(ZSTD_TEST)) ?? '';
  const zstdRan = /✔/.test(zstdLine) && !/# SKIP/.test(zstdLine);
  const ok = r.code === 0 && zstdRan;
  const detail = `${summary}; zstd decode test ${zstdRan ? 'passed' : `did not pass: "${zstdLine.trim()}"`}${
    r.code === 0 ? '' : `; exit ${r.code ?? r.signal}`
  }`;
  const check = report({ name, ok, ms: r.ms, detail, logName });
  log(`${rt.spec.id}: ${detail}`);
  if (!ok) {
    const failing = r.out
      .split('\n')
      .filter((l) => /✖/.test(l))
      .slice(0, 40);
    console.log(failing.join('\n'));
  }
  return check;
}

// ── smoke ─────────────────────────────────────────────────────────────────────────────────────────

interface SmokeBroker {
  readonly env: Record<string, string>;
  readonly handle: BrokerHandle;
  stop(): Promise<void>;
}

async function openAclBroker(): Promise<SmokeBroker> {
  const { startBroker } = await import('../testcontainers/index.js');
  const e = process.env;
  const external = Boolean(
    e.ROCKETMQ_ENDPOINT && e.ROCKETMQ_NAMESRV && e.ROCKETMQ_ACCESS_KEY && e.ROCKETMQ_SECRET_KEY,
  );
  const started = Date.now();
  const handle = external ? await startBroker({}) : await startBroker({ acl: true, ignoreEnv: true });
  if (!handle.acl) throw new Error(`the broker at ${handle.endpoint} has no authentication on`);
  log(
    `${external ? 'using' : 'started'} a broker with authentication on at ${handle.endpoint} (${Date.now() - started} ms)`,
  );
  return {
    env: {
      ROCKETMQ_ENDPOINT: handle.endpoint,
      ROCKETMQ_NAMESRV: handle.namesrv,
      ROCKETMQ_ACCESS_KEY: handle.acl.accessKey,
      ROCKETMQ_SECRET_KEY: handle.acl.secretKey,
      ROCKETMQ_TS_SHARED_BROKER: '1',
    },
    handle,
    stop: () => handle.stop(),
  };
}

function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

const IN_PROCESS = /broker: in-process broker at 127\.0\.0\.1:\d+/;
const REAL = /broker: RocketMQ proxy at \S+/;

async function example(rt: Installed, name: string, broker: SmokeBroker | undefined): Promise<Check> {
  const where = broker ? 'real broker' : 'in-process broker';
  const logName = `${rt.spec.id}-${broker ? 'real' : 'inproc'}-${name}`;
  const [cmd, args] = tsCommand(rt, `examples/${name}.ts`);
  const r = await runProcess(cmd, args, {
    env: runtimeEnv(rt, broker ? broker.env : { ROCKETMQ_ENDPOINT: '' }),
    timeoutMs: broker ? 240_000 : 90_000,
    logName,
  });
  const problem =
    r.signal !== null
      ? `killed by ${r.signal}`
      : r.code !== 0
        ? `exit ${r.code}: ${lastLines(r.out)}`
        : exampleOutputProblem(name, r.out, broker ? REAL : IN_PROCESS);
  return report({
    name: `${rt.spec.id}: examples/${name}.ts on the ${where}`,
    ok: problem === undefined,
    ms: r.ms,
    detail: problem ?? '',
    logName,
  });
}

function lastLines(out: string): string {
  return out.trim().split('\n').slice(-6).join(' | ');
}

async function aclSmoke(rt: Installed, broker: SmokeBroker): Promise<Check> {
  const topic = uniqueName(`acl-${rt.spec.id}`);
  const group = uniqueName(`acl-${rt.spec.id}-g`);
  await broker.handle.createTopic(topic, 'NORMAL');
  await broker.handle.createConsumerGroup(group);
  const logName = `${rt.spec.id}-acl-smoke`;
  const [cmd, args] = tsCommand(rt, 'scripts/runtimes/acl-smoke.ts');
  const r = await runProcess(cmd, args, {
    env: runtimeEnv(rt, { ...broker.env, SMOKE_TOPIC: topic, SMOKE_GROUP: group }),
    timeoutMs: 180_000,
    logName,
  });
  const ok =
    r.code === 0 &&
    /acl smoke ok: a wrong secret is refused at start with UNAUTHORIZED/.test(r.out) &&
    /acl smoke ok: signed send, receive and ackAll/.test(r.out) &&
    /acl smoke done/.test(r.out);
  return report({
    name: `${rt.spec.id}: ACL smoke on the real broker`,
    ok,
    ms: r.ms,
    detail: ok ? '' : lastLines(r.out),
    logName,
  });
}

async function smoke(rts: readonly Installed[], broker: SmokeBroker): Promise<Check[]> {
  const names = Object.keys(EXAMPLES);
  const tasks: Array<() => Promise<Check>> = [];
  for (const rt of rts) {
    tasks.push(() => aclSmoke(rt, broker));
    for (const name of names) tasks.push(() => example(rt, name, undefined));
    for (const name of names) {
      if (!IN_PROCESS_ONLY.has(name)) tasks.push(() => example(rt, name, broker));
    }
  }
  return pool(JOBS, tasks);
}

// ── bundle ────────────────────────────────────────────────────────────────────────────────────────

async function buildBundle(): Promise<string> {
  const { build } = await import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'rocketmq-ts-bundle-'));
  const outfile = join(dir, 'service.mjs');
  await build({
    entryPoints: [join(ROOT, 'scripts', 'runtimes', 'bundle-service.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'warning',
    // @grpc/grpc-js is CommonJS and requires Node built-ins: give the ES module a `require`.
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });
  chmodSync(outfile, 0o444);
  chmodSync(dir, 0o555);
  return outfile;
}

/**
 * Runs the bundle in a private mount namespace where its directory is bind-mounted read-only (a root
 * process ignores file modes), from that directory, with HOME removed from the environment. The
 * wrapper first proves the directory refuses a write.
 */
async function runBundle(
  label: string,
  cmd: string,
  args: readonly string[],
  bundle: string,
  broker: SmokeBroker,
): Promise<Check> {
  const dir = dirname(bundle);
  const topic = uniqueName('bundle');
  const group = uniqueName('bundle-g');
  await broker.handle.createTopic(topic, 'NORMAL');
  await broker.handle.createConsumerGroup(group);
  const script = [
    'set -e',
    'mount --bind -o ro "$1" "$1"',
    'cd "$1"',
    'if touch .write-probe 2>/dev/null; then echo "the directory is writable"; exit 97; fi',
    'echo "read-only: $(pwd)"',
    'shift',
    'exec env -u HOME "$@"',
  ].join('\n');
  const env = { ...process.env, ...broker.env, SERVICE_TOPIC: topic, SERVICE_GROUP: group };
  const logName = `bundle-${label}`;
  const r = await runProcess('unshare', ['-m', 'sh', '-c', script, 'sh', dir, cmd, ...args], {
    env,
    cwd: '/',
    timeoutMs: 120_000,
    logName,
  });
  const ok =
    r.code === 0 &&
    /read-only: /.test(r.out) &&
    /service ok: 20 sent, every one consumed/.test(r.out) &&
    /HOME unset/.test(r.out);
  return report({
    name: `${label}: the one-file bundle from a read-only dir, HOME unset`,
    ok,
    ms: r.ms,
    detail: ok ? '' : lastLines(r.out),
    logName,
  });
}

async function bundle(rts: readonly Installed[], broker: SmokeBroker): Promise<Check[]> {
  const started = Date.now();
  const file = await buildBundle();
  log(`bundled ${file} in ${Date.now() - started} ms`);
  try {
    const checks = [await runBundle(`node ${process.version}`, process.execPath, [file], file, broker)];
    for (const rt of rts) {
      const [cmd, args] = jsCommand(rt, file);
      checks.push(await runBundle(rt.spec.id, cmd, args, file, broker));
    }
    return checks;
  } finally {
    chmodSync(dirname(file), 0o755);
    rmSync(dirname(file), { recursive: true, force: true });
  }
}

// ── main ──────────────────────────────────────────────────────────────────────────────────────────

function idsFrom(args: readonly string[], fallback: readonly RuntimeId[]): RuntimeId[] {
  if (args.length === 0) return [...fallback];
  return args.map((a) => runtimeSpec(a).id);
}

const ALL = RUNTIMES.map((r) => r.id);

async function withBroker<T>(fn: (b: SmokeBroker) => Promise<T>): Promise<T> {
  const broker = await openAclBroker();
  const stop = () => {
    void broker.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await fn(broker);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await broker.stop().catch((e: unknown) => console.error('broker stop failed', e));
  }
}

async function main(): Promise<number> {
  const [command = 'ci', ...rest] = process.argv.slice(2);
  let checks: Check[] = [];
  switch (command) {
    case 'install':
      for (const rt of await install(idsFrom(rest, ALL))) log(`${rt.spec.id}: ${rt.bin}`);
      return 0;
    case 'suite':
      for (const rt of await install(idsFrom(rest, ['node22', 'node24']))) checks.push(await suite(rt));
      break;
    case 'smoke': {
      const rts = await install(idsFrom(rest, ALL));
      checks = await withBroker((b) => smoke(rts, b));
      break;
    }
    case 'bundle': {
      const rts = await install(idsFrom(rest, ALL));
      checks = await withBroker((b) => bundle(rts, b));
      break;
    }
    case 'ci': {
      const rts = await install(ALL);
      const nodes = rts.filter((r) => r.spec.id === 'node22' || r.spec.id === 'node24');
      const runSuites = async () => {
        const out: Check[] = [];
        for (const rt of nodes) out.push(await suite(rt));
        return out;
      };
      const runSmokes = () => withBroker(async (b) => [...(await smoke(rts, b)), ...(await bundle(rts, b))]);
      // One after the other by default: the suites hold load-sensitive tests (many clients, churn) that
      // failed when the smokes ran beside them on 2 busy cores. ROCKETMQ_TS_RUNTIMES_PARALLEL=1 runs
      // the two lanes at once.
      const [suites, smokes] =
        process.env.ROCKETMQ_TS_RUNTIMES_PARALLEL === '1'
          ? await Promise.all([runSuites(), runSmokes()])
          : [await runSuites(), await runSmokes()];
      checks = [...suites, ...smokes];
      break;
    }
    default:
      console.error(`unknown command "${command}"; expected install, suite, smoke, bundle or ci`);
      return 2;
  }
  const failed = checks.filter((c) => !c.ok);
  failureOutput(checks);
  log(
    `${checks.length - failed.length} of ${checks.length} checks passed in ${Math.round((Date.now() - t0) / 1000)} s`,
  );
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
