import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { InProcessBroker } from '../../../src/testing/index.js';
import { TestClient, uniqueName } from '../../helpers/in-process-client.js';

const CHILD = join(import.meta.dirname, 'shutdown-child.ts');

function runChild(
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not exit within ${timeoutMs} ms (a leaked handle?)\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

describe('shutdown', () => {
  test('after shutdown() the process exits by itself: no server, socket or timer is left', async () => {
    const { code, stdout, stderr } = await runChild(30_000);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      before: string[];
      after: string[];
      outcomes: { sameShutdownPromise: boolean; parked: number; hung: number; telemetry: { code: number } };
    };
    const leaks = report.after.filter((r) => /TCP|Timeout|Timer|Http2/i.test(r));
    assert.deepEqual(leaks, [], `active resources after shutdown: ${report.after.join(', ')}`);
    assert.equal(report.outcomes.sameShutdownPromise, true);
    assert.equal(report.outcomes.parked, grpc.status.UNAVAILABLE, 'parked long poll ends UNAVAILABLE');
    assert.equal(report.outcomes.hung, grpc.status.UNAVAILABLE, 'hung call ends UNAVAILABLE');
    assert.equal(
      report.outcomes.telemetry.code,
      grpc.status.UNAVAILABLE,
      'telemetry stream ends UNAVAILABLE',
    );
  });

  test('a stopped broker refuses new connections and shutdown stays idempotent', async () => {
    const broker = await InProcessBroker.start();
    const topic = uniqueName('stop');
    broker.createTopic(topic);
    await broker.shutdown();
    await broker.shutdown();
    const c = new TestClient(broker.endpoint);
    try {
      await assert.rejects(c.queryRoute(topic), (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE);
    } finally {
      c.close();
    }
  });

  test('Symbol.asyncDispose shuts the broker down', async () => {
    let port = 0;
    {
      await using broker = await InProcessBroker.start();
      port = broker.port;
      assert.ok(port > 0);
    }
    const c = new TestClient(`127.0.0.1:${port}`);
    try {
      await assert.rejects(c.queryRoute('x'), (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE);
    } finally {
      c.close();
    }
  });
});
