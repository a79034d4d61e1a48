/**
 * Runs one step on several brokers at once and reports each broker's outcome.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import type { BrokerAddress } from './cluster.js';
import type { OpContext } from './context.js';
import type { BrokerResult } from './types.js';

/** Runs `step` on every broker; an abort of the whole operation is thrown, other failures reported. */
export async function onEachBroker(
  ctx: OpContext,
  brokers: readonly Pick<BrokerAddress, 'brokerName' | 'address'>[],
  step: (b: Pick<BrokerAddress, 'brokerName' | 'address'>) => Promise<void>,
): Promise<BrokerResult[]> {
  const results = await Promise.all(
    brokers.map(async (b): Promise<BrokerResult> => {
      try {
        await step(b);
        return { brokerName: b.brokerName, address: b.address, ok: true };
      } catch (e) {
        const err = RocketMQError.from(e);
        return {
          brokerName: b.brokerName,
          address: b.address,
          ok: false,
          code: err.code,
          message: err.message,
        };
      }
    }),
  );
  if (ctx.signal.aborted) throw RocketMQError.from(ctx.signal.reason);
  return results;
}
