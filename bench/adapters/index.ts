/**
 * Loads a client's adapter on demand, so a worker process only ever loads the client it measures.
 */
import type { AdapterConfig, AdapterFactory, AdapterGap, ClientAdapter, ClientName } from './types.js';
import { isGap } from './types.js';

/**
 * Loads a client's adapter and the client library itself (so that module loading is never counted as
 * part of a scenario such as startup).
 */
export async function loadAdapterFactory(client: ClientName): Promise<AdapterFactory> {
  switch (client) {
    case 'rocketmq-ts': {
      const m = await import('./rocketmq-ts.js');
      await m.preload();
      return m.createRocketmqTsAdapter;
    }
    case 'official':
      return (await import('./official.js')).createOfficialAdapter;
    case 'raw-grpc': {
      const m = await import('./raw-grpc.js');
      await m.preload();
      return m.createRawGrpcAdapter;
    }
  }
}

/** Thrown to report a gap through the scenario runner. */
export class GapError extends Error {
  constructor(readonly gap: string) {
    super(gap);
  }
}

/** Creates an adapter, or throws {@link GapError} for an unsupported combination. */
export async function createAdapter(factory: AdapterFactory, config: AdapterConfig): Promise<ClientAdapter> {
  const made: ClientAdapter | AdapterGap = await factory(config);
  if (isGap(made)) throw new GapError(made.gap);
  return made;
}

/** Shuts an adapter down, giving up after `timeoutMs` (the worker exits anyway afterwards). */
export async function shutdownBounded(adapter: ClientAdapter, timeoutMs = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    timer.unref();
  });
  await Promise.race([adapter.shutdown().catch(() => undefined), bound]);
  clearTimeout(timer);
}
