/**
 * One benchmark worker process: `node --import tsx --expose-gc bench/worker.ts '<RunSpec[] as JSON>'`,
 * spawned (and pinned to a core) by bench/run.ts. It loads only the client it measures, runs the specs
 * in order and sends each RunResult over the IPC channel, then exits.
 *
 * Uncaught errors raised by a client after it was shut down (the official SDK emits stream errors
 * after removing its listeners) are counted and reported, not allowed to kill the measurement.
 */
import { GapError, loadAdapterFactory } from './adapters/index.js';
import type { RunResult, RunSpec } from './lib/spec.js';
import { variantOf } from './lib/spec.js';
import { scenarioFor } from './scenarios/index.js';

let uncaught = 0;
let lastUncaught = '';
const onUncaught = (err: unknown): void => {
  uncaught++;
  lastUncaught = err instanceof Error ? err.message : String(err);
  console.error(`[worker ${process.pid}] uncaught: ${lastUncaught}`);
};
process.on('uncaughtException', onUncaught);
process.on('unhandledRejection', onUncaught);
// The runner went away (killed): do not linger.
process.once('disconnect', () => process.exit(1));

function send(message: unknown): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) {
      console.log(JSON.stringify(message));
      resolve();
    } else process.send(message, () => resolve());
  });
}

async function runOne(spec: RunSpec, importMs: number | undefined): Promise<RunResult> {
  const base = {
    target: spec.target,
    client: spec.client,
    scenario: spec.scenario,
    variant: variantOf(spec),
  };
  const before = uncaught;
  try {
    const factory = await loadAdapterFactory(spec.client);
    const result = await scenarioFor(spec)({ spec, factory });
    const extra: Record<string, number> = { ...result.extra };
    if (importMs !== undefined && spec.scenario === 'startup') extra.importMs = importMs;
    if (uncaught > before) extra.uncaughtErrors = uncaught - before;
    return { ...result, extra };
  } catch (err) {
    if (err instanceof GapError) return { ...base, ok: false, gap: err.gap };
    return { ...base, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
}

const specs = JSON.parse(process.argv[2] ?? '[]') as RunSpec[];
let importMs: number | undefined;
if (specs[0] !== undefined) {
  const t0 = performance.now();
  await loadAdapterFactory(specs[0].client);
  importMs = performance.now() - t0;
}
for (const [i, spec] of specs.entries()) {
  const result = await runOne(spec, i === 0 ? importMs : undefined);
  await send({ type: 'result', result });
}
await send({ type: 'done' });
process.exit(0);
