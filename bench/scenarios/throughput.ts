/**
 * Closed-loop throughput scenarios: send (1 KiB bodies at a given concurrency), receive (batches, no
 * ack), consume (receive + ack of each batch) and push-consume (a push consumer's handler count).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createAdapter, shutdownBounded } from '../adapters/index.js';
import { closedLoop, openWindow } from '../lib/measure.js';
import { configFor, fromWindow, type Scenario } from './context.js';

const FIRST_MESSAGE_LIMIT_MS = 15_000;

const fakeOf = (target: string, endpoint: string) => (target === 'fake' ? endpoint : undefined);

export const send: Scenario = async ({ spec, factory }) => {
  const adapter = await createAdapter(
    factory,
    configFor(spec, 'producer', spec.batching === undefined ? {} : { batching: spec.batching }),
  );
  await adapter.start();
  try {
    const body = Buffer.alloc(spec.bodySize, 'x');
    const w = await closedLoop({
      ...spec,
      fakeEndpoint: fakeOf(spec.target, spec.endpoint),
      op: async () => {
        await adapter.send(body);
        return 1;
      },
    });
    return fromWindow(spec, w);
  } finally {
    await shutdownBounded(adapter, spec.shutdownTimeoutMs);
  }
};

export const receive: Scenario = async ({ spec, factory }) => {
  const adapter = await createAdapter(factory, configFor(spec, 'simple-consumer'));
  await adapter.start();
  try {
    const w = await closedLoop({
      ...spec,
      fakeEndpoint: fakeOf(spec.target, spec.endpoint),
      op: async () => (await adapter.receiveBatch(spec.batch)).length,
    });
    return fromWindow(spec, w);
  } finally {
    await shutdownBounded(adapter, spec.shutdownTimeoutMs);
  }
};

export const consume: Scenario = async ({ spec, factory }) => {
  const adapter = await createAdapter(factory, configFor(spec, 'simple-consumer'));
  await adapter.start();
  try {
    const w = await closedLoop({
      ...spec,
      fakeEndpoint: fakeOf(spec.target, spec.endpoint),
      op: async () => {
        const batch = await adapter.receiveBatch(spec.batch);
        await adapter.ack(batch);
        return batch.length;
      },
    });
    return fromWindow(spec, w);
  } finally {
    await shutdownBounded(adapter, spec.shutdownTimeoutMs);
  }
};

export const pushConsume: Scenario = async ({ spec, factory }) => {
  let handled = 0;
  const adapter = await createAdapter(
    factory,
    configFor(spec, 'push-consumer', {
      onMessage: () => {
        handled++;
      },
    }),
  );
  await adapter.start();
  try {
    // A push consumer starts receiving on its own schedule (the official one scans assignments after
    // 1 s): the warm-up starts with the first message.
    const until = performance.now() + FIRST_MESSAGE_LIMIT_MS;
    while (handled === 0 && performance.now() < until) await sleep(10);
    const w = await openWindow({
      ...spec,
      fakeEndpoint: fakeOf(spec.target, spec.endpoint),
      count: () => handled,
    });
    return fromWindow(spec, w);
  } finally {
    await shutdownBounded(adapter, spec.shutdownTimeoutMs);
  }
};
