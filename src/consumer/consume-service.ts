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
import type { Logger } from '../observability/logger.js';
import type { RetryPolicy } from '../protocol/settings.js';
import type { Lease } from './lease-keeper.js';
import type { ProcessQueue } from './process-queue.js';
import type { ConsumeResult, MessageListener } from './push-consumer-options.js';
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
  /** Counts a listener outcome. */
  record(outcome: ConsumeResult, durationMs: number): void;
}

/** A batch handed over by a process queue. */
export interface ConsumeService {
  /** Takes a received batch; resolves when the service is done with it (FIFO) or at once (concurrent). */
  deliver(queue: ProcessQueue, leases: readonly Lease[]): Promise<void>;
  /** Stops starting listener calls; returns the leases that never reached the listener. */
  stop(): Lease[];
  /** Resolves when no listener call or settle is in progress. */
  idle(): Promise<void>;
  /** Listener calls and settles in progress. */
  readonly active: number;
}

/**
 * Calls the listener and maps its outcome: `'failure'` or a throw → `'failure'`; anything else
 * (including `undefined`) → `'success'`.
 */
export async function callListener(
  host: ConsumeHost,
  view: MessageView,
  lease: Lease,
  attempt: number,
): Promise<ConsumeResult> {
  await host.permits.acquire();
  const started = performance.now();
  let outcome: ConsumeResult = 'success';
  try {
    const r = await host.listener(view, { signal: lease.signal, attempt });
    if (r === 'failure') outcome = 'failure';
  } catch (err) {
    outcome = 'failure';
    host.logger.debug('listener failed', {
      messageId: view.messageId,
      topic: view.topic,
      attempt,
      err,
    });
  } finally {
    host.permits.release();
  }
  host.record(outcome, performance.now() - started);
  return outcome;
}
