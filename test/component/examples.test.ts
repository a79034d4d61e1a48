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

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Example → lines its output must contain (besides the broker line and "done"). */
const EXAMPLES: Record<string, readonly RegExp[]> = {
  'producer-normal': [
    /ok: an empty body is refused with MESSAGE_BODY_EMPTY/,
    /ok: a send whose signal is aborted fails with ABORTED/,
    /ok: every one of the 7 sent messages was received \(matched by message id\)/,
    /ok: body, tag, keys and properties arrived as sent/,
  ],
  'producer-delay-recall': [
    /ok: the receipt of a delay message carries a recall handle/,
    /ok: recallMessage recalled [0-9A-F]+/,
    /ok: a NORMAL message is refused on a DELAY topic/,
    /received "reminder in 2 s" \d+ ms after sending/,
    /ok: "reminder in 2 s" arrived no earlier than 2 s/,
    /ok: "reminder at a time" arrived no earlier than its time/,
    /ok: the recalled message was not delivered/,
  ],
  'producer-fifo': [
    /ok: every message of a group went to the same queue/,
    /ok: a message without messageGroup is refused on a FIFO topic/,
    /ok: alice's events were consumed in the order sent: created → paid → packed → shipped/,
    /ok: bob's events were consumed in the order sent/,
    /ok: carol's events were consumed in the order sent/,
  ],
  'producer-priority': [
    /sent "site is down" with priority 9/,
    /ok: a message without priority is refused on a PRIORITY topic/,
    /ok: a negative priority is refused/,
    /ok: priority and messageGroup exclude each other/,
    /ok: every message was received with the priority it was sent with/,
  ],
  'producer-batch': [
    /sendBatch: 10 ids, 1 entry from the proxy/,
    /ok: a batch over two topics is refused \(INVALID_ARGUMENT\)/,
    /ok: a batch with a non-NORMAL message is refused/,
    /ok: each message of the batch was received once, under the id sendBatch reported/,
  ],
  transactions: [
    /order-1: half message \w+ \(transaction \w+\), commit, transaction committed/,
    /order-2: .*, rollback, transaction rolled-back/,
    /checker: the broker asks about order-3 \(local state paid\) → COMMIT/,
    /checker: the broker asks about order-4 \(local state cancelled\) → ROLLBACK/,
    /ok: the broker checked both unended transactions: order-3 → COMMIT, order-4 → ROLLBACK/,
    /ok: order-1 \(committed\) was delivered/,
    /ok: order-3 \(committed by the checker\) was delivered/,
    /ok: order-2 \(rolled back\) was not delivered/,
    /ok: order-4 \(rolled back by the checker\) was not delivered/,
  ],
  'simple-consumer': [
    /received "resize" \(attempt 1\)/,
    /ok: "resize" and "encode" acked with one ackAll/,
    /ok: only the handed-back message came back, as delivery attempt 2/,
    /extended "upload" by 60 s, then acked it with the new receipt handle/,
    /ok: the iterator yielded the 5 new messages once each/,
    /ok: the message with another tag was never delivered/,
  ],
  'push-consumer': [
    /ok: the message that asked for \{ retryAfterMs \} and the one that threw were each delivered again, once/,
    /ok: no other message was delivered twice/,
    /ok: listener calls ran in parallel, never more than 4/,
    /ok: shutdown\(\) drained and stopped the consumer/,
    /ok: 24 acked and 2 nacked/,
    /ok: acks were batched/,
  ],
  'push-consumer-fifo': [
    /ok: the consumer consumes in order \(ordered group\)/,
    /acct-b: 0 → 1 → 2 → 2\(retry\) → 3 → 4/,
    /ok: each account’s entries were handled once, in the order sent/,
    /ok: never two listener calls for one account at the same time/,
    /ok: different accounts were handled in parallel/,
  ],
  managed: [
    /ok: the BusyError was retried \(retryLater\) and succeeded on attempt 2/,
    /ok: the NonRetryableError was acked, not retried/,
    /ok: each receipt carried the request id of its order/,
    /ok: while off, "receipts" handled nothing/,
    /ok: switched on: "receipts" handled the 2 waiting receipts/,
    /ok: waitStop\(\) returned with every job and producer closed/,
    /ok: payments: 6 handled, 1 acked by the classifier, 1 retried later/,
  ],
  otel: [
    /└─ send \S+ \[PRODUCER\]/,
    /└─ process \S+ \[CONSUMER\] .* → link to "receive /,
    /ok: send is a PRODUCER span, child of "checkout"/,
    /ok: process is in the publisher’s trace, child of the send span/,
    /ok: process links to the receive span that fetched the message/,
    /ok: the ack span is a child of process/,
    /ok: messaging.client.sent.messages counted the send/,
    /ok: messaging.process.duration recorded the listener call/,
  ],
};

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
