/**
 * Shared setup of the in-process broker component tests: a broker per test (optionally on fake time),
 * clients that are closed afterwards, and a bounded wait for asynchronous effects.
 */
import type { TestContext } from 'node:test';
import { InProcessBroker, type InProcessBrokerOptions, ManualTime } from '../../../src/testing/index.js';
import { TestClient, type TestClientOptions } from '../../helpers/in-process-client.js';

export interface Fixture {
  broker: InProcessBroker;
  time: ManualTime | undefined;
  client(opts?: TestClientOptions): TestClient;
}

/** Starts a broker for one test; shut down (and clients closed) when the test ends. */
export async function startBroker(
  t: TestContext,
  options: InProcessBrokerOptions & { fakeTime?: boolean } = {},
): Promise<Fixture> {
  const { fakeTime, ...rest } = options;
  const time = fakeTime ? new ManualTime() : undefined;
  const broker = await InProcessBroker.start({
    longPollingMinMs: 0,
    ...rest,
    ...(time ? { clock: time } : {}),
  });
  const clients: TestClient[] = [];
  t.after(async () => {
    for (const c of clients) c.close();
    await broker.shutdown();
  });
  return {
    broker,
    time,
    client: (opts) => {
      const c = new TestClient(broker.endpoint, opts);
      clients.push(c);
      return c;
    },
  };
}

/** Waits (real time, bounded) until `cond()` holds. */
export async function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
