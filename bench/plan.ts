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
/** Auto-batching on vs off: concurrency and body size of the comparison. */
export const BATCHING_CONCURRENCY = 256;
export const BATCHING_BODY_SIZE = 256;

interface Cell {
  scenario: ScenarioName;
  concurrency?: number;
  consumer?: 'simple' | 'push';
  batching?: boolean;
}

/** rocketmq-ts only (the other clients have no auto-batching): off then on. */
const BATCHING_CELLS: readonly Cell[] = [false, true].map((batching) => ({
  scenario: 'send-batching',
  concurrency: BATCHING_CONCURRENCY,
  batching,
}));

function cells(
  target: Target,
  quick: boolean,
  sendLevels?: readonly number[],
  scenarios?: readonly ScenarioName[],
): Cell[] {
  // Quick runs (the CI smoke) leave the comparison out unless it is asked for by name.
  const batching = !quick || scenarios?.includes('send-batching') === true ? BATCHING_CELLS : [];
  const send = (sendLevels ?? (quick ? SEND_LEVELS_QUICK : SEND_LEVELS_FULL)).map((c) => ({
    scenario: 'send' as const,
    concurrency: c,
  }));
  if (target === 'fake') {
    return [
      ...send,
      ...batching,
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
    ...batching,
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
    for (const cell of cells(target, options.quick, options.sendLevels, options.scenarios)) {
      if (!wanted(cell.scenario)) continue;
      const rotation = (run - 1) % options.clients.length;
      const rotated = [...options.clients.slice(rotation), ...options.clients.slice(0, rotation)];
      const clients =
        cell.scenario === 'send-batching' ? rotated.filter((c) => c === 'rocketmq-ts') : rotated;
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
          bodySize: cell.scenario === 'send-batching' ? BATCHING_BODY_SIZE : BODY_SIZE,
          batching: cell.batching,
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
