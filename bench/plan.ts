/**
 * The benchmark matrix: which specs run, in which order, with which durations. Clients are interleaved
 * (and their order rotated per run) so that noise on the shared machine hits all of them alike.
 */
import type { ClientName } from './adapters/types.js';
import type { RunSpec, ScenarioName, Target } from './lib/spec.js';

export interface PlanOptions {
  readonly quick: boolean;
  readonly runs: number;
  readonly clients: readonly ClientName[];
  readonly scenarios?: readonly ScenarioName[] | undefined;
  readonly endpoint: string;
  /** Unique suffix for topic and group names of this run. */
  readonly runId: string;
  /** Send concurrencies to run instead of the default levels (e.g. one level to profile). */
  readonly sendLevels?: readonly number[] | undefined;
}

/** A spec that needs a fresh topic and group on the real broker (and maybe a backlog). */
export interface PlannedSpec {
  readonly spec: RunSpec;
  readonly fresh: boolean;
  /** Messages to put on the fresh topic before the worker starts. */
  readonly prefill: number;
  readonly run: number;
}

export const SEND_LEVELS_FULL = [1, 16, 64, 256] as const;
export const SEND_LEVELS_QUICK = [1, 16] as const;
export const CONSUME_CONCURRENCY = 4;
export const RECEIVE_BATCH = 32;
export const BODY_SIZE = 1024;

interface Cell {
  scenario: ScenarioName;
  concurrency?: number;
  consumer?: 'simple' | 'push';
}

function cells(target: Target, quick: boolean, sendLevels?: readonly number[]): Cell[] {
  const send = (sendLevels ?? (quick ? SEND_LEVELS_QUICK : SEND_LEVELS_FULL)).map((c) => ({
    scenario: 'send' as const,
    concurrency: c,
  }));
  if (target === 'fake') {
    return [
      ...send,
      { scenario: 'receive', concurrency: CONSUME_CONCURRENCY },
      { scenario: 'consume', concurrency: CONSUME_CONCURRENCY },
      { scenario: 'push-consume' },
      { scenario: 'memory', consumer: 'push' },
      { scenario: 'memory', consumer: 'simple' },
      { scenario: 'startup' },
    ];
  }
  return [
    ...send,
    { scenario: 'consume', concurrency: CONSUME_CONCURRENCY },
    { scenario: 'e2e', consumer: 'simple' },
    { scenario: 'e2e', consumer: 'push' },
    { scenario: 'startup' },
  ];
}

function timing(
  target: Target,
  scenario: ScenarioName,
  quick: boolean,
): { warmupMs: number; durationMs: number } {
  if (quick) return { warmupMs: 150, durationMs: 300 };
  if (scenario === 'e2e') return { warmupMs: 2_000, durationMs: 5_000 };
  return target === 'fake' ? { warmupMs: 1_000, durationMs: 3_000 } : { warmupMs: 1_000, durationMs: 3_000 };
}

export function plan(target: Target, options: PlanOptions): PlannedSpec[] {
  const out: PlannedSpec[] = [];
  const wanted = (s: ScenarioName) => options.scenarios === undefined || options.scenarios.includes(s);
  const sharedTopic = `bench-${target}-${options.runId}`;
  let serial = 0;
  for (let run = 1; run <= options.runs; run++) {
    for (const cell of cells(target, options.quick, options.sendLevels)) {
      if (!wanted(cell.scenario)) continue;
      const rotation = (run - 1) % options.clients.length;
      const clients = [...options.clients.slice(rotation), ...options.clients.slice(0, rotation)];
      for (const client of clients) {
        const fresh = target === 'broker' && (cell.scenario === 'consume' || cell.scenario === 'e2e');
        const id = `${options.runId}-${serial++}`;
        const spec: RunSpec = {
          target,
          endpoint: options.endpoint,
          client,
          scenario: cell.scenario,
          concurrency: cell.concurrency ?? 1,
          ...timing(target, cell.scenario, options.quick),
          topic: fresh ? `bench-${cell.scenario}-${id}` : sharedTopic,
          group: `bench-g-${id}`,
          bodySize: BODY_SIZE,
          batch: RECEIVE_BATCH,
          messages:
            cell.scenario === 'memory'
              ? options.quick
                ? 500
                : 10_000
              : cell.scenario === 'consume' && target === 'broker'
                ? options.quick
                  ? 500
                  : 5_000
                : undefined,
          consumer: cell.consumer,
          rate: cell.scenario === 'e2e' ? 500 : undefined,
          awaitDurationMs: target === 'broker' ? 5_000 : 20_000,
          ...(options.quick ? { shutdownTimeoutMs: 1_500, fillIdleMs: 800 } : {}),
        };
        out.push({
          spec,
          fresh,
          prefill: fresh && cell.scenario === 'consume' ? (spec.messages ?? 0) : 0,
          run,
        });
      }
    }
  }
  return out;
}
