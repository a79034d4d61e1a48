/**
 * What the push consumer's two consume services (concurrent and FIFO) share: the host they run in and
 * the listener call.
 *
 * @packageDocumentation
 */

import type { RandomSource } from '../internal/backoff.js';
import type { Scheduler } from '../internal/scheduler.js';
import type { Semaphore } from '../internal/semaphore.js';
import type { MessageView } from '../model/message-view.js';
import type { ClientTelemetry } from '../observability/client-telemetry.js';
import type { Logger } from '../observability/logger.js';
import type { InterceptorChain } from '../protocol/interceptors.js';
import type { RetryPolicy } from '../protocol/settings.js';
import type { Lease } from './lease-keeper.js';
import type { PauseGate } from './pause-gate.js';
import type { ProcessQueue } from './process-queue.js';
import type { MessageListener } from './push-consumer-options.js';
import type { Settler } from './settler.js';

/** The environment of a consume service. */
export interface ConsumeHost {
  readonly logger: Logger;
  readonly scheduler: Scheduler;
  readonly random?: RandomSource | undefined;
  readonly listener: MessageListener;
  readonly settler: Settler;
  /** Limits listener calls in progress over the whole consumer. */
  readonly permits: Semaphore;
  /** The retry policy in force (the server's, once its settings arrived). */
  retryPolicy(): RetryPolicy;
  /** Whether `{ suspendMs }` is sent as a suspend (lite groups); otherwise it is a plain retry. */
  readonly suspend?: boolean | undefined;
  /** Counts a listener outcome (its duration is the process-duration metric of `telemetry`). */
  record(outcome: 'success' | 'failure'): void;
  /** Spans and metrics of listener calls. @defaultValue none */
  readonly telemetry?: ClientTelemetry | undefined;
  /** User hooks around each listener call. @defaultValue none */
  readonly interceptors?: InterceptorChain | undefined;
  /** Paused topics: no listener call starts for a message of a paused topic. @defaultValue never paused */
  readonly gate?: PauseGate | undefined;
}

/** A batch handed over by a process queue. */
export interface ConsumeService {
  /** Takes a received batch; resolves when the service is done with it (FIFO) or at once (concurrent). */
  deliver(queue: ProcessQueue, leases: readonly Lease[]): Promise<void>;
  /** Stops starting listener calls; returns the leases that never reached the listener. */
  stop(): Lease[];
  /**
   * Stops starting listener calls for the messages of `topic` (its subscription was dropped or its
   * filter replaced) and returns their leases, which never reached the listener. Listener calls already
   * running finish and settle as usual; a FIFO message of the topic waiting for a local retry is handed
   * back instead of being retried. Later batches of the topic are consumed normally.
   */
  drop(topic: string): Lease[];
  /** Resolves when no listener call or settle is in progress. */
  idle(): Promise<void>;
  /** Listener calls and settles in progress. */
  readonly active: number;
}

/** The largest retry delay a listener may ask for (the proxy's invisible-time limit). */
const MAX_RETRY_AFTER_MS = 12 * 60 * 60 * 1000;

/** A listener outcome after validation. */
export type Outcome =
  | { readonly t: 'success' }
  | { readonly t: 'failure'; readonly retryAfterMs?: number; readonly suspend?: boolean };

/** Maps what a listener returned (see {@link MessageListener}); an invalid value counts as a failure. */
export function toOutcome(value: unknown, logger: Logger): Outcome {
  if (value === undefined || value === 'success') return { t: 'success' };
  if (value === 'failure') return { t: 'failure' };
  if (typeof value === 'object' && value !== null && 'suspendMs' in value) {
    const ms = (value as { suspendMs: unknown }).suspendMs;
    if (typeof ms === 'number' && Number.isFinite(ms) && ms > 0 && ms <= MAX_RETRY_AFTER_MS) {
      return { t: 'failure', retryAfterMs: Math.max(1, Math.round(ms)), suspend: true };
    }
    logger.warn(
      'listener asked for a suspend out of range (0 < suspendMs ≤ 12 h); treating it as a failure',
      {
        suspendMs: String(ms),
      },
    );
    return { t: 'failure' };
  }
  if (typeof value === 'object' && value !== null && 'retryAfterMs' in value) {
    const ms = (value as { retryAfterMs: unknown }).retryAfterMs;
    if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 && ms <= MAX_RETRY_AFTER_MS) {
      return { t: 'failure', retryAfterMs: Math.round(ms) };
    }
  }
  logger.warn('listener returned an unknown result; treating it as a failure', { result: String(value) });
  return { t: 'failure' };
}

/**
 * Calls the listener and maps its outcome: nothing or `'success'` → success; `'failure'`, a throw or an
 * invalid result → failure (with the listener's `retryAfterMs`, if it gave one). The call is a process
 * span (the listener runs in its context) and a `messaging.process.duration` point.
 */
export async function callListener(
  host: ConsumeHost,
  view: MessageView,
  lease: Lease,
  attempt: number,
): Promise<Outcome> {
  await host.permits.acquire();
  const op = host.telemetry?.startProcess(view, attempt, lease.receivedAt);
  let outcome: Outcome;
  try {
    const call = () => host.listener(view, { signal: lease.signal, attempt });
    const invoke = async () => toOutcome(await (op === undefined ? call() : op.run(call)), host.logger);
    outcome =
      host.interceptors === undefined || host.interceptors.empty
        ? await invoke()
        : await host.interceptors.around(
            { point: 'consume', topic: view.topic, messages: [view] },
            invoke,
            (o) => (o.t === 'success' ? { result: 'success' } : { status: 'error', result: 'failure' }),
          );
    if (outcome.t === 'success') op?.succeed();
    else op?.fail('failure');
  } catch (err) {
    outcome = { t: 'failure' };
    op?.fail(err);
    host.logger.debug('listener failed', { messageId: view.messageId, topic: view.topic, attempt, err });
  } finally {
    host.permits.release();
  }
  host.record(outcome.t);
  return outcome;
}
