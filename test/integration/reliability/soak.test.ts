/**
 * The short soak (`npm run soak` with ~20 s of load) against the real broker, run as a CI check of the
 * script and of the steady-state properties: every message sent is acked, none after its ack, the
 * samples are printed, and the active handles do not grow between samples. The 30-minute figures are in
 * the README's Reliability section.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { SoakResult } from '../../../scripts/soak/run-soak.js';
import { sharedBroker } from '../../helpers/broker.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('soak (short)', () => {
  test('20 s at 100 msg/s: accounting holds, handles flat, samples printed', async (t) => {
    const b = await sharedBroker();
    if (typeof b === 'string') return t.skip(`no RocketMQ broker available: ${b}`);
    const env = { ...process.env, ROCKETMQ_ENDPOINT: b.endpoint, ROCKETMQ_NAMESRV: b.namesrv };
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        '--import',
        'tsx',
        join(ROOT, 'scripts', 'soak.ts'),
        '--minutes',
        '0.34',
        '--rate',
        '100',
        '--report-every',
        '4',
        '--drain-timeout',
        '30',
        '--json',
      ],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    const line = out.split('\n').find((l) => l.startsWith('SOAK_RESULT '));
    assert.ok(line, `no result line; stdout:\n${out}\nstderr:\n${err}`);
    const result = JSON.parse(line.slice('SOAK_RESULT '.length)) as SoakResult;
    for (const l of out.split('\n')) if (!l.startsWith('SOAK_RESULT') && l.trim() !== '') t.diagnostic(l);
    assert.equal(code, 0, `exit code ${code}: ${result.problems.join('; ')}`);
    const a = result.accounting;
    assert.ok(a.sentOk >= 1_000, `${a.sentOk} messages sent`);
    assert.equal(a.lost, 0);
    assert.equal(a.handledAfterAck, 0);
    assert.equal(a.acked, a.sentOk);
    assert.ok(result.samples.length >= 4, `${result.samples.length} samples`);
    const handles = result.samples.map((s) => s.handles);
    const steady = handles.slice(1, -1);
    assert.ok(
      Math.max(...steady) - Math.min(...steady) <= 40,
      `handles vary too much between samples: ${handles.join(', ')}`,
    );
    assert.equal(result.samples[result.samples.length - 1]!.lag, 0, 'drained');
  });
});
