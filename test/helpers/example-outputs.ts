/**
 * What each example in examples/ prints when it observed what it claims (besides the broker line and
 * "done"): the examples test and the runtimes smoke (scripts/runtimes.ts) check the same lines.
 */
/** Example → lines its output must contain. */
export const EXAMPLES: Record<string, readonly RegExp[]> = {
  'push-consumer-pause': [
    /ok: no job handled during 2 s of pause/,
    /ok: pausing a topic that is not subscribed is refused with INVALID_ARGUMENT/,
    /ok: after resume all 60 jobs were handled exactly once/,
  ],
  interceptors: [/ok: the hooks saw 20 sends, 20 listener calls and 20 acks, despite a throwing hook/],
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
    // A real broker may hand the three jobs over in another order: the example acks the first two.
    /received "(resize|encode|upload)" \(attempt 1\), "(resize|encode|upload)" \(attempt 1\), "(resize|encode|upload)" \(attempt 1\)/,
    /ok: "(resize|encode|upload)" and "(resize|encode|upload)" acked with one ackAll/,
    /ok: only the handed-back message came back, as delivery attempt 2/,
    /extended "(resize|encode|upload)" by 60 s, then acked it with the new receipt handle/,
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
  'lite-push-consumer': [
    /subscribed to alice, carol \(quota \d+ per client\)/,
    /ok: 'min' replayed alice's earlier message/,
    /ok: carol's message arrived/,
    /ok: nothing from bob, who is not subscribed/,
    /ok: every message named its lite topic/,
    /ok: the suspended message came back after 1000 ms, not before/,
    /ok: after unsubscribeLite nothing more came from carol/,
    /ok: shutdown\(\) stopped the consumer/,
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

/**
 * Examples the runtimes smoke (scripts/runtimes.ts) runs on the in-process broker only: its real broker
 * is the default release with authentication, which has no lite topics (they need 5.5 with
 * `enableLmq`/`enableMultiDispatch` and a cluster-mode proxy; test/integration/lite.test.ts proves the
 * lite consumer there).
 */
export const IN_PROCESS_ONLY: ReadonlySet<string> = new Set(['lite-push-consumer']);

/** Checks one example run's output; returns what is wrong, or undefined when it passed. */
export function exampleOutputProblem(name: string, out: string, broker: RegExp): string | undefined {
  const lines = EXAMPLES[name];
  if (lines === undefined) return `no expectations for example "${name}"`;
  if (!broker.test(out)) return `no line matching ${broker}`;
  for (const line of lines) if (!line.test(out)) return `no line matching ${line}`;
  if (/example failed/.test(out)) return 'the example printed "example failed"';
  if (!/\] done\n$/.test(out)) return 'the output does not end with "done"';
  return undefined;
}
