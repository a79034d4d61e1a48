/**
 * Process entry of the fake broker: `node --import tsx bench/fake/main.ts [--port N]`.
 *
 * With an IPC channel (spawned by the bench runner) it sends `{ type: 'ready', port }` and answers
 * `{ type: 'stats' }` with `{ type: 'stats', stats }`; it exits when the parent goes away. Without one it
 * prints the endpoint and runs until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startFakeBroker } from './fake-broker.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    queues: { type: 'string', default: '8' },
    body: { type: 'string', default: '1024' },
    pool: { type: 'string', default: '4096' },
  },
});

const fake = await startFakeBroker({
  port: Number(values.port),
  queues: Number(values.queues),
  bodySize: Number(values.body),
  poolSize: Number(values.pool),
});

const stop = (): void => {
  void fake.close().finally(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

if (process.send !== undefined) {
  process.on('message', (msg: { type?: string }) => {
    if (msg?.type === 'stats') process.send?.({ type: 'stats', stats: fake.stats() });
  });
  process.once('disconnect', stop);
  process.send({ type: 'ready', port: fake.port });
} else {
  console.log(`fake broker listening on ${fake.endpoint}`);
}
