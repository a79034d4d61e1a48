/**
 * The short soak (`npm run soak` with ~20 s of load) against the real broker, run as a CI check of the
 * script and of the steady-state properties: every message sent is consumed by both groups (a
 * SimpleConsumer group and a PushConsumer group), none after its ack, the samples are printed, and once
 * the load is drained the active handles are back to the clients' own (one connection each and their
 * periodic timers and long polls): a handle kept per message, receive or ack would show there by the
 * hundreds. The 30-minute figures with rotating faults are in bench/results/soak/.
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
  test('20 s at 100 msg/s, SimpleConsumer and PushConsumer groups: accounting holds in both, handles back to the clients\' own after the drain (≤ 16), samples printed', async (t) => {
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
        // Longer than the SimpleConsumer's 30 s invisible duration: a message whose ack timed out on a
        // loaded machine comes back after it.
        '--drain-timeout',
        '90',
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
    if (result.pushAccounting) {
      assert.equal(result.pushAccounting.lost, 0);
      assert.equal(result.pushAccounting.acked, a.sentOk);
    }
    // Drained, no send in flight: 4 clients → at most 4 sockets, plus their heartbeat/scan timers, long
    // polls and ack flushes. Measured: 5 handles with 3 clients at the end of the 30-minute run; 9 and 11
    // with the PushConsumer added (load averages 45 and 13).
    const last = result.samples[result.samples.length - 1]!;
    assert.equal(last.sendsInFlight, 0);
    assert.ok((last.handleTypes.TCPSocketWrap ?? 0) <= 4, `sockets after the drain: ${JSON.stringify(last.handleTypes)}`);
    assert.ok(last.handles <= 16, `handles after the drain: ${last.handles} ${JSON.stringify(last.handleTypes)}`);
    assert.equal(result.samples[result.samples.length - 1]!.lag, 0, 'drained');
  });
});
