/**
 * A shutdown the application awaits settles even when all that is left is unref'd timers (found by the
 * reliability suite: an ack retried after the broker went away left `await consumer.shutdown()` never
 * returning — the process exited under it). The client holds one ref'd handle while its shutdown runs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'shutdown-keep-alive.ts');

test('await consumer.shutdown() returns in a process with nothing else alive', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
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
  assert.equal(code, 0, `child output:\n${out}`);
  assert.match(out, /after shutdown/);
});
