/**
 * Fails when proto/ and the committed src/gen/ disagree, i.e. when someone
 * edits a .proto file (or buf.gen.yaml) without running `npm run generate`.
 *
 * It runs the committed buf.gen.yaml with `buf generate -o <tmp>`, so the
 * plugin options under test are exactly the committed ones, and compares the
 * resulting tree byte for byte with src/gen.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const BIN = join(ROOT, 'node_modules', '.bin');
const COMMITTED = join(ROOT, 'src', 'gen');

function listFiles(dir: string, base = dir, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) listFiles(p, base, out);
    else out.push(relative(base, p).split('\\').join('/'));
  }
  return out.sort();
}

test('src/gen is byte-identical to a fresh `buf generate` of proto/', () => {
  const buf = join(BIN, process.platform === 'win32' ? 'buf.cmd' : 'buf');
  assert.ok(existsSync(buf), `buf not found at ${buf}; run npm install`);
  assert.ok(existsSync(COMMITTED), 'src/gen is missing; run npm run generate');

  const tmp = mkdtempSync(join(tmpdir(), 'rocketmq-ts-gen-'));
  try {
    execFileSync(buf, ['generate', '--template', join(ROOT, 'buf.gen.yaml'), '-o', tmp], {
      cwd: ROOT,
      // buf.gen.yaml names the plugin `protoc-gen-es`; make node_modules/.bin win on PATH.
      env: { ...process.env, PATH: `${BIN}${delimiter}${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });

    const freshRoot = join(tmp, 'src', 'gen');
    assert.ok(existsSync(freshRoot), 'buf generate produced no src/gen under the temp output');

    const fresh = listFiles(freshRoot);
    const committed = listFiles(COMMITTED);
    for (const expected of [
      'apache/rocketmq/v2/admin_pb.ts',
      'apache/rocketmq/v2/definition_pb.ts',
      'apache/rocketmq/v2/service_pb.ts',
    ]) {
      assert.ok(fresh.includes(expected), `fresh output lacks ${expected}`);
    }
    assert.deepEqual(committed, fresh, 'file set of src/gen differs from a fresh generation');

    const stale = fresh.filter(
      (file) => !readFileSync(join(freshRoot, file)).equals(readFileSync(join(COMMITTED, file))),
    );
    assert.deepEqual(stale, [], `stale generated files (run npm run generate): ${stale.join(', ')}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
