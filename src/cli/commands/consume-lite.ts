/**
 * `rocketmq-ts consume <topic> --group <group> --lite <liteTopic>`: consumes lite topics of a LITE
 * parent topic with a LitePushConsumer (the lite consumer the RocketMQ 5.5 proxy serves), printing
 * each message (the listener's success acknowledges it), until `--count` messages came, `--wait` passed, or Ctrl-C. Messages that
 * arrive after the count was reached are suspended (handed back without counting an attempt), not
 * acknowledged.
 *
 * @packageDocumentation
 */

import { LitePushConsumer, type LiteOffset, type MessageView } from '../../index.js';
import type { CommandContext } from '../command.js';
import { EXIT } from '../exit.js';
import { formatMessage, messageJson } from '../format.js';
import { type Connection, clientOptions, usageError } from '../options.js';

/** How long a message that came after `--count` is handed back for. */
const OVERFLOW_SUSPEND_MS = 1_000;

/** What `consume --lite` needs from the command line. */
export interface ConsumeLiteParams {
  readonly topic: string;
  readonly group: string;
  readonly liteTopics: readonly string[];
  readonly offset: LiteOffset | undefined;
  readonly count: number | undefined;
  readonly waitMs: number | undefined;
  readonly waitText: string | undefined;
  readonly json: boolean;
  readonly conn: Connection;
}

/**
 * The `--lite-offset` value.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` (a usage error) for anything but last, min or max.
 */
export function parseLiteOffset(text: string | undefined): LiteOffset | undefined {
  if (text === undefined) return undefined;
  if (text === 'last' || text === 'min' || text === 'max') return text;
  throw usageError(`--lite-offset must be last, min or max, got "${text}"`);
}

/** Runs `consume --lite`; resolves to the exit code. */
export async function consumeLite(ctx: CommandContext, p: ConsumeLiteParams): Promise<number> {
  const { io } = ctx;
  const stop = new AbortController();
  const onInterrupt = (): void => stop.abort(io.signal.reason);
  io.signal.addEventListener('abort', onInterrupt, { once: true });
  let received = 0;
  const print = (m: MessageView): void => {
    received++;
    io.stdout.write(p.json ? `${JSON.stringify(messageJson(m))}\n` : formatMessage(m, received));
    if (p.count !== undefined && received >= p.count) stop.abort(new Error('--count reached'));
  };
  const consumer = new LitePushConsumer({
    ...clientOptions(p.conn),
    topic: p.topic,
    consumerGroup: p.group,
    concurrency: 1,
    listener: (m) => {
      if (stop.signal.aborted) return { suspendMs: OVERFLOW_SUSPEND_MS };
      print(m);
      return 'success';
    },
  });
  let waitTimer: unknown;
  try {
    await consumer.start({ signal: io.signal });
    for (const lite of p.liteTopics) {
      await consumer.subscribeLite(lite, p.offset === undefined ? {} : { offset: p.offset });
    }
    const n = p.count;
    io.stderr.write(
      `consuming ${p.topic} lite ${p.liteTopics.join(', ')} as ${p.group}${n === undefined ? '' : `, ${n} message${n === 1 ? '' : 's'}`}${p.waitText === undefined ? '' : `, at most ${p.waitText}`} (Ctrl-C to stop)\n`,
    );
    if (p.waitMs !== undefined) {
      waitTimer = io.timers.setTimeout(() => stop.abort(new Error('--wait elapsed')), p.waitMs);
    }
    if (!stop.signal.aborted) {
      await new Promise<void>((resolve) =>
        stop.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
    }
  } finally {
    io.timers.clearTimeout(waitTimer);
    io.signal.removeEventListener('abort', onInterrupt);
    await consumer.shutdown();
  }
  io.stderr.write(`received ${received} message${received === 1 ? '' : 's'}\n`);
  if (io.signal.aborted) return EXIT.INTERRUPTED;
  if (p.count !== undefined && received < p.count) {
    io.stderr.write(`error: received ${received} of ${p.count} messages within ${p.waitText}\n`);
    return EXIT.FAILED;
  }
  return EXIT.OK;
}
