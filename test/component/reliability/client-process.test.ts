/**
 * Client process faults (reliability-matrix rows E1, E2): a child process runs a Producer and a
 * SimpleConsumer against the in-process broker of this process and reports every send, delivery and ack
 * as a ledger event. It gets SIGTERM or SIGKILL in the middle of a batch; a new consumer in this process
 * then drains the group, and the at-least-once accounting must hold.
 *
 * - SIGTERM: graceful — the batch in hand is finished and acked, both clients shut down within their
 *   timeout, and the process exits 0 by itself (nothing left open).
 * - SIGKILL: what the dead process held comes back after its invisible duration and is handled by the
 *   new consumer; nothing is lost.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AtLeastOnceLedger, type LedgerEvent } from '../../helpers/at-least-once.js';
import { drain } from '../../helpers/ledger-flows.js';
import { waitFor } from '../../helpers/wait-for.js';
import { consumerFor, faultyBroker, uniqueName } from './setup.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../../..');
const INVISIBLE_MS = 2_000;

interface ChildRun {
  readonly child: ChildProcess;
  readonly events: LedgerEvent[];
  readonly lines: string[];
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once `cond()` holds after some output line (bounded). */
  until(cond: () => boolean, boundMs: number, what: string): Promise<void>;
}

function runChild(t: TestContext, args: string[]): ChildRun {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(HERE, 'fixtures', 'client-process.ts'), ...args],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const events: LedgerEvent[] = [];
  const lines: string[] = [];
  const pokes = new Set<() => void>();
  let buffered = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl = buffered.indexOf('\n');
    while (nl >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.startsWith('EVT ')) events.push(JSON.parse(line.slice(4)) as LedgerEvent);
      else lines.push(line);
      nl = buffered.indexOf('\n');
    }
    for (const p of pokes) p();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('exit', (code, signal) => {
      for (const p of pokes) p();
      r({ code, signal });
    }),
  );
  return {
    child,
    events,
    lines,
    stderr: () => err,
    exited,
    async until(cond, boundMs, what) {
      const w = waitFor(cond, boundMs, `${what} (stderr: ${err.slice(-500)})`);
      pokes.add(w.poke);
      try {
        await w.done;
      } finally {
        pokes.delete(w.poke);
      }
    },
  };
}

const handledCount = (events: readonly LedgerEvent[]) => events.filter((e) => e.type === 'handled').length;

describe('client process killed mid-batch', () => {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    test(`${signal === 'SIGTERM' ? 'E1' : 'E2'} ${signal} mid-batch: the accounting holds after a new consumer drains`, async (t) => {
      const { broker } = await faultyBroker(t);
      const topic = uniqueName('proc');
      const group = uniqueName('proc-g');
      broker.createTopic(topic);
      broker.createConsumerGroup(group);
      const run = uniqueName(signal.toLowerCase());
      const child = runChild(t, [broker.endpoint, topic, group, run, '60', '30', String(INVISIBLE_MS), '15']);
      await child.until(() => child.lines.includes('READY'), 20_000, 'the child to start');
      // Mid-batch: batches are 8, so the 10th delivery is inside the second one.
      await child.until(() => handledCount(child.events) >= 10, 20_000, 'ten deliveries in the child');
      const signalledAt = performance.now();
      child.child.kill(signal);
      const exit = await child.exited;
      const exitMs = performance.now() - signalledAt;

      const ledger = new AtLeastOnceLedger(run);
      ledger.ingest(child.events);
      const inChild = ledger.report();
      if (signal === 'SIGTERM') {
        assert.deepEqual(exit, { code: 0, signal: null }, `exit 0 by itself; stderr: ${child.stderr()}`);
        assert.ok(exitMs < 8_000, `exited ${exitMs.toFixed(0)} ms after SIGTERM`);
        const stopped = child.lines.find((l) => l.startsWith('STOPPED '));
        assert.ok(stopped, `the child reported its shutdown: ${child.lines.join(' | ')}`);
        const info = JSON.parse(stopped.slice('STOPPED '.length)) as {
          producer: string;
          consumer: string;
          shutdownMs: number;
        };
        assert.equal(info.producer, 'stopped');
        assert.equal(info.consumer, 'stopped');
        assert.ok(info.shutdownMs < 3_500, `shutdown took ${info.shutdownMs} ms (timeout 3 s)`);
        // Graceful: every message the child started handling was acked.
        assert.equal(
          inChild.ackedKeys + inChild.ackUnknownKeys,
          inChild.handledKeys,
          ledger.summary(inChild),
        );
      } else {
        assert.equal(exit.signal, 'SIGKILL');
      }

      if (signal === 'SIGKILL') {
        // The kill can land between an ack succeeding and its event line reaching us: what the child
        // handled without a reported ack outcome has an ack of unknown outcome (not an absent one). The
        // drain below keeps receiving past the invisible duration, so the broker confirms it: a message
        // whose ack was not applied comes back to the survivor.
        const reported = new Set(child.events.filter((e) => e.type === 'acked').map((e) => e.key));
        for (const e of child.events)
          if (e.type === 'handled' && !reported.has(e.key)) ledger.acked(e.key, 'unknown');
      }
      const consumer = consumerFor(t, broker.endpoint, group, topic, {
        minInvisibleDurationMs: INVISIBLE_MS,
      });
      await consumer.start();
      await drain(consumer, ledger, {
        timeoutMs: 15_000,
        invisibleDurationMs: INVISIBLE_MS,
        name: 'survivor',
      });
      // SIGTERM: the child finishes and acks its batch. SIGKILL: what the child held unacked (one batch
      // of 8 at most) is handled once more by the survivor. Either way an ack the broker refused brings
      // its message back once, and an extra stored copy (a producer retry) is delivered too.
      const pre = ledger.report();
      const maxDuplicates = (signal === 'SIGTERM' ? 0 : 8) + pre.ackFailures + pre.copies;
      const r = ledger.assertHolds({ log: (l) => t.diagnostic(l), maxDuplicates });
      const takenOver = [
        ...new Set(child.events.filter((e) => e.type === 'handled').map((e) => e.key)),
      ].filter((k) => ledger.deliveriesOf(k).some((d) => d.consumer === 'survivor'));
      t.diagnostic(
        `${signal}: child handled ${inChild.handledKeys}, acked ${inChild.ackedKeys}; sent ${r.sent.total} (unknown ${r.sent.unknown}); ` +
          `${takenOver.length} handled by the child and again by the survivor; exit after ${exitMs.toFixed(0)} ms`,
      );
      if (signal === 'SIGTERM')
        assert.equal(takenOver.length, 0, 'after a graceful stop nothing is handled twice');
    });
  }
});
