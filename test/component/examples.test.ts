/**
 * Every example in examples/ runs to the end on the in-process broker (each in its own process, as a
 * user would run it) and prints the outcomes it checked itself; an example exits with 1 when it did not
 * observe what it claims, so exit code 0 plus these lines is the proof.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { EXAMPLES } from '../helpers/example-outputs.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

function run(name: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', `examples/${name}.ts`], {
    cwd: ROOT,
    env: { ...process.env, ROCKETMQ_ENDPOINT: '', NODE_DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 40_000, // killed (and reported) rather than left hanging
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return new Promise((r) => child.on('close', (code, signal) => r({ code, signal, out })));
}

describe('examples/', { concurrency: 2 }, () => {
  test('every example file is run here', () => {
    const files = readdirSync(resolve(ROOT, 'examples'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.replace(/\.ts$/, ''))
      .filter((f) => f !== 'support' && f !== 'demo'); // demo: test/component/demo.test.ts
    assert.deepEqual(files.sort(), Object.keys(EXAMPLES).sort());
  });

  for (const [name, lines] of Object.entries(EXAMPLES)) {
    test(`${name}.ts runs on the in-process broker and observes what it claims`, async () => {
      const { code, signal, out } = await run(name);
      assert.equal(signal, null, `killed by ${signal}:\n${out}`);
      assert.equal(code, 0, out);
      assert.match(out, /broker: in-process broker at 127\.0\.0\.1:\d+/);
      for (const line of lines) assert.match(out, line);
      assert.doesNotMatch(out, /example failed/);
      assert.match(out, /\] done\n$/);
    });
  }
});
