/** What the runner asks a worker to measure, and what comes back. */
import type { ClientName } from '../adapters/types.js';

export type Target = 'fake' | 'broker';

export type ScenarioName =
  | 'send'
  | 'send-batching'
  | 'receive'
  | 'consume'
  | 'push-consume'
  | 'memory'
  | 'startup'
  | 'e2e';

/** One measurement of one client (one worker process runs one or more). */
export interface RunSpec {
  readonly target: Target;
  readonly endpoint: string;
  readonly client: ClientName;
  readonly scenario: ScenarioName;
  /** Loops in flight (send/receive/consume). */
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly topic: string;
  readonly group: string;
  readonly bodySize: number;
  /** Receive batch size. */
  readonly batch: number;
  /** memory: messages to hold; broker consume: backlog to drain. */
  readonly messages?: number | undefined;
  /** memory / e2e: which consumer. */
  readonly consumer?: 'simple' | 'push' | undefined;
  /** e2e: offered send rate, msgs/s. */
  readonly rate?: number | undefined;
  /** Long polling of receives. */
  readonly awaitDurationMs: number;
  /** Bound of each client shutdown (the worker exits afterwards anyway). @defaultValue 10000 */
  readonly shutdownTimeoutMs?: number | undefined;
  /** send-batching: the producer's auto-batching on (its defaults) or off. */
  readonly batching?: boolean | undefined;
  /** memory: a cache that stops growing for this long counts as full. @defaultValue 3000 */
  readonly fillIdleMs?: number | undefined;
}

/** One measurement's outcome. Absent figures were not measured (never zero-filled). */
export interface RunResult {
  readonly target: Target;
  readonly client: ClientName;
  readonly scenario: ScenarioName;
  /** Row key within the scenario, e.g. `c=16`, `batch=32`, `push`. */
  readonly variant: string;
  readonly ok: boolean;
  /** Why this client/scenario cannot be measured (a gap, not a failure). */
  readonly gap?: string | undefined;
  readonly error?: string | undefined;
  readonly msgs?: number | undefined;
  readonly msgsPerSec?: number | undefined;
  readonly p50Ms?: number | undefined;
  readonly p99Ms?: number | undefined;
  readonly cpuUsPerMsg?: number | undefined;
  readonly rssMiB?: number | undefined;
  readonly heapMiB?: number | undefined;
  readonly errors?: number | undefined;
  /** Share of one core used by the fake broker during the window. */
  readonly fakeBusy?: number | undefined;
  /** Scenario-specific figures (memory per message, import time…). */
  readonly extra?: Readonly<Record<string, number>> | undefined;
}

/** The row key of a spec. */
export function variantOf(
  spec: Pick<RunSpec, 'scenario' | 'concurrency' | 'batch' | 'consumer' | 'batching'>,
): string {
  switch (spec.scenario) {
    case 'send':
      return `c=${spec.concurrency}`;
    case 'send-batching':
      return `c=${spec.concurrency} auto-batching ${spec.batching === true ? 'on' : 'off'}`;
    case 'receive':
    case 'consume':
      return `batch=${spec.batch} c=${spec.concurrency}`;
    case 'push-consume':
      return 'push';
    case 'memory':
    case 'e2e':
      return spec.consumer ?? 'simple';
    case 'startup':
      return 'to first send';
  }
}
