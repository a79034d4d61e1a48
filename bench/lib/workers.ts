/** Runs worker processes and collects their results. */
import type { RunResult, RunSpec } from './spec.js';
import { variantOf } from './spec.js';
import { spawnNode } from './children.js';

/** CPU core the workers are pinned to (the fake broker gets {@link FAKE_CORE}). */
export const CLIENT_CORE = 0;
export const FAKE_CORE = 1;

function budgetMs(specs: readonly RunSpec[]): number {
  return specs.reduce((sum, s) => sum + s.warmupMs + s.durationMs + 60_000, 30_000);
}

const failed = (spec: RunSpec, error: string): RunResult => ({
  target: spec.target,
  client: spec.client,
  scenario: spec.scenario,
  variant: variantOf(spec),
  ok: false,
  error,
});

/** Runs `specs` in one worker process; every spec gets a result (failures included). */
export function runWorker(specs: readonly RunSpec[], pin = true): Promise<RunResult[]> {
  const child = spawnNode(
    ['--expose-gc', 'bench/worker.ts', JSON.stringify(specs)],
    pin ? CLIENT_CORE : undefined,
  );
  const results: RunResult[] = [];
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), budgetMs(specs));
    timer.unref();
    child.on('message', (msg: { type?: string; result?: RunResult }) => {
      if (msg?.type === 'result' && msg.result !== undefined) results.push(msg.result);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      for (const spec of specs.slice(results.length)) {
        results.push(failed(spec, `worker ended (code ${code}, signal ${signal}) before this result`));
      }
      resolve(results);
    });
  });
}
