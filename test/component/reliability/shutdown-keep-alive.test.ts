/**
 * A shutdown the application awaits settles even when all that is left is unref'd timers (found by the
 * reliability suite: an ack retried after the broker went away left `await consumer.shutdown()` never
 * returning — the process exited under it). The client holds one ref'd handle while its shutdown runs,
 * and likewise while its start runs (a start against an endpoint that refuses connections waits on
 * unref'd backoff timers only).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

async function runFixture(name: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', name)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, out };
}

test('await consumer.shutdown() returns in a process with nothing else alive', async () => {
  const { code, out } = await runFixture('shutdown-keep-alive.ts');
  assert.equal(code, 0, `child output:\n${out}`);
  assert.match(out, /after shutdown/);
});

test('await producer.start() settles (with its typed error) in a process with nothing else alive', async () => {
  const { code, out } = await runFixture('start-keep-alive.ts');
  assert.equal(code, 0, `child output:\n${out}`);
  assert.match(out, /start settled: SETTINGS_TIMEOUT/);
});
