/**
 * `NODE_DEBUG=rocketmq` diagnoses a client that was given no logger: a child process starts the
 * in-process broker, a Producer and a SimpleConsumer (no `logger` option), sends and receives one
 * message, and shuts down. With NODE_DEBUG=rocketmq its stderr carries the clients' lifecycle lines
 * (state changes, "client started", the client id and access point); without it stderr stays empty.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';

const SRC = new URL('../../../src/', import.meta.url).href;

const SCRIPT = `
const { Producer, SimpleConsumer } = await import(${JSON.stringify(`${SRC}index.ts`)});
const { InProcessBroker } = await import(${JSON.stringify(`${SRC}testing/index.ts`)});
const broker = await InProcessBroker.start();
broker.createTopic('dbg', { type: 'NORMAL' });
broker.createConsumerGroup('dbg-group');
const producer = new Producer({ endpoints: broker.endpoint, topics: ['dbg'] });
const consumer = new SimpleConsumer({
  endpoints: broker.endpoint, consumerGroup: 'dbg-group', subscriptions: { dbg: '*' }, awaitDurationMs: 5000,
});
try {
  await producer.start();
  await consumer.start();
  await producer.send({ topic: 'dbg', body: 'hi' });
  const [m] = await consumer.receive(1, 10000);
  await consumer.ack(m);
  process.stdout.write('ok ' + producer.clientId + '\\n');
} finally {
  await consumer.shutdown();
  await producer.shutdown();
  await broker.shutdown();
}
`;

function run(nodeDebug: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
      env: { ...process.env, NODE_DEBUG: nodeDebug },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('NODE_DEBUG=rocketmq', () => {
  test('clients without an injected logger write their diagnosis to stderr', async () => {
    const { code, stdout, stderr } = await run('rocketmq');
    assert.equal(code, 0, stderr);
    const clientId = /^ok (\S+)$/m.exec(stdout)?.[1];
    assert.ok(clientId, stdout);
    assert.match(
      stderr,
      /ROCKETMQ \d+: DEBUG client state changed \{ clientId: '[^']+', from: 'created', to: 'starting' \}/,
    );
    assert.match(
      stderr,
      /ROCKETMQ \d+: INFO client started \{ clientId: '[^']+', accessPoint: '(ipv4:)?127\.0\.0\.1:\d+' \}/,
    );
    assert.ok(stderr.includes(`clientId: '${clientId}'`), 'the producer identifies itself');
    assert.match(stderr, /INFO client stopped/);
  });

  test('other NODE_DEBUG sections do not enable it, and without it nothing is written', async () => {
    for (const value of ['', 'http']) {
      const { code, stdout, stderr } = await run(value);
      assert.equal(code, 0, stderr);
      assert.match(stdout, /^ok /m);
      assert.doesNotMatch(stderr, /ROCKETMQ/);
    }
  });
});
