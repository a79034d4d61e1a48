/**
 * Wiring of user interceptors (`protocol/interceptors.ts`) into a push consumer's receive path; the
 * consume and settle hooks sit in `consume-service.ts` and `settler.ts`.
 *
 * @packageDocumentation
 */

import type { InterceptorChain } from '../protocol/interceptors.js';
import type { ProcessQueueHost } from './process-queue.js';

/** The host with each ReceiveMessage wrapped in the `receive` hooks (the same host when none). */
export function withReceiveHooks(host: ProcessQueueHost, chain: InterceptorChain): ProcessQueueHost {
  if (chain.empty) return host;
  return {
    ...host,
    receive: (queue, filter, batchSize, attemptId, signal) =>
      chain.around(
        { point: 'receive', topic: queue.topic, messages: [] },
        () => host.receive(queue, filter, batchSize, attemptId, signal),
        (messages) => ({ messages }),
      ),
  };
}
