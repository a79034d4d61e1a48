/**
 * `rocketmq-ts consume <topic> --group <group>`: receives messages with a SimpleConsumer, prints each
 * one and acknowledges it, until `--count` messages came, `--wait` passed, or Ctrl-C. With `--lite`,
 * lite topics of a LITE topic (see `consume-lite.ts`).
 *
 * @packageDocumentation
 */

import { FilterExpression, type MessageView, RocketMQError, SimpleConsumer } from '../../index.js';
import { type Command, type CommandContext, flag, stringValue, stringValues } from '../command.js';
import { EXIT } from '../exit.js';
import { consumeLite, parseLiteOffset } from './consume-lite.js';
import { formatMessage, messageJson } from '../format.js';
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  type ConnectionValues,
  clientOptions,
  parseCount,
  parseDuration,
  positional,
  resolveConnection,
  usageError,
} from '../options.js';
import { sleep } from '../sleep.js';

/** Long polling of each receive (the Apache proxy clamps it to 5–20 s). */
const AWAIT_DURATION_MS = 20_000;
const MAX_BATCH = 32;
const RETRY_INITIAL_MS = 200;
const RETRY_MAX_MS = 5_000;

function filterOf(ctx: CommandContext): FilterExpression {
  const tag = stringValue(ctx.values, 'tag');
  const sql = stringValue(ctx.values, 'sql');
  if (tag !== undefined && sql !== undefined) throw usageError('give either --tag or --sql, not both');
  if (sql !== undefined) return FilterExpression.sql(sql);
  return FilterExpression.tag(tag ?? '*');
}

export const consumeCommand: Command = {
  name: 'consume',
  summary: 'receive messages of a topic, print and acknowledge them',
  help: `Usage: rocketmq-ts consume <topic> --group <group> [options]

Receives messages of <topic> as consumer group <group>, prints each one, and acknowledges it.
Stops after --count messages, after --wait, or on Ctrl-C.

Consuming:
  -g, --group <group>          consumer group (required)
      --tag <expression>       tag filter, e.g. "created||paid" (default "*")
      --sql <expression>       SQL92 filter instead (the broker must enable it)
  -n, --count <n>              stop after n messages (exit 1 if --wait passes first)
      --wait <dur>             stop after this long, e.g. 30s (default: no limit)
      --invisible <dur>        invisible duration of received messages (default 30s, at least 10s)
      --no-ack                 print only; messages are delivered again after --invisible
      --json                   print messages as JSON lines

Lite topics (RocketMQ 5.5; <topic> is a LITE topic, <group> a lite group bound to it):
      --lite <liteTopic>       consume this lite topic (repeatable); not with --tag, --sql,
                               --invisible or --no-ack
      --lite-offset <where>    where a new lite subscription starts: last (default), min or max

${CONNECTION_HELP}

Examples:
  rocketmq-ts consume orders --group billing --count 10
  rocketmq-ts consume orders -g billing --tag created --wait 1m --json
  rocketmq-ts consume chat -g chat-workers --lite session-42 --lite-offset min -n 1`,
  options: {
    ...CONNECTION_OPTIONS,
    group: { type: 'string', short: 'g' },
    tag: { type: 'string' },
    sql: { type: 'string' },
    count: { type: 'string', short: 'n' },
    wait: { type: 'string' },
    invisible: { type: 'string' },
    'no-ack': { type: 'boolean' },
    json: { type: 'boolean' },
    lite: { type: 'string', multiple: true },
    'lite-offset': { type: 'string' },
  },
  async run(ctx) {
    const { io, values, positionals, errorContext } = ctx;
    const topic = positional(positionals, 0, 'topic: rocketmq-ts consume <topic> --group <group>');
    if (positionals.length > 1) throw usageError(`unexpected argument "${positionals[1]}"`);
    errorContext.topic = topic;
    const group = stringValue(values, 'group');
    if (group === undefined || group === '') throw usageError('missing --group <consumer group>');
    errorContext.group = group;
    const countText = stringValue(values, 'count');
    const count = countText === undefined ? undefined : parseCount(countText, '--count');
    const waitText = stringValue(values, 'wait');
    const waitMs = waitText === undefined ? undefined : parseDuration(waitText, '--wait');
    const liteTopics = stringValues(values, 'lite');
    if (liteTopics.length > 0) {
      for (const o of ['tag', 'sql', 'invisible', 'no-ack']) {
        if (values[o] !== undefined) throw usageError(`--${o} does not go with --lite`);
      }
      const conn = resolveConnection(values as ConnectionValues, io);
      errorContext.endpoint = conn.endpoints;
      errorContext.authenticated = conn.authenticated;
      return consumeLite(ctx, {
        topic,
        group,
        liteTopics,
        offset: parseLiteOffset(stringValue(values, 'lite-offset')),
        count,
        waitMs,
        waitText,
        json: flag(values, 'json'),
        conn,
      });
    }
    if (values['lite-offset'] !== undefined) throw usageError('--lite-offset needs --lite');
    const invisibleMs = parseDuration(stringValue(values, 'invisible') ?? '30s', '--invisible');
    const ack = !flag(values, 'no-ack');
    const json = flag(values, 'json');
    const filter = filterOf(ctx);
    const conn = resolveConnection(values as ConnectionValues, io);
    errorContext.endpoint = conn.endpoints;
    errorContext.authenticated = conn.authenticated;

    const consumer = new SimpleConsumer({
      ...clientOptions(conn),
      consumerGroup: group,
      subscriptions: { [topic]: filter },
      awaitDurationMs: AWAIT_DURATION_MS,
    });
    // Ends the receive loop: the user's Ctrl-C or the --wait timer.
    const stop = new AbortController();
    const onInterrupt = (): void => stop.abort(io.signal.reason);
    io.signal.addEventListener('abort', onInterrupt, { once: true });
    let waitTimer: unknown;
    let received = 0;
    let ackFailures = 0;
    try {
      await consumer.start({ signal: io.signal });
      io.stderr.write(
        `consuming ${topic} as ${group}${count === undefined ? '' : `, ${count} message${count === 1 ? '' : 's'}`}${waitText === undefined ? '' : `, at most ${waitText}`} (Ctrl-C to stop)\n`,
      );
      if (waitMs !== undefined) {
        waitTimer = io.timers.setTimeout(() => stop.abort(new Error('--wait elapsed')), waitMs);
      }
      let retryMs = RETRY_INITIAL_MS;
      while (!stop.signal.aborted && (count === undefined || received < count)) {
        const batchSize = Math.min(MAX_BATCH, count === undefined ? 16 : count - received);
        let batch: MessageView[];
        try {
          batch = await consumer.receive(batchSize, invisibleMs, { signal: stop.signal });
          retryMs = RETRY_INITIAL_MS;
        } catch (e) {
          if (stop.signal.aborted) break;
          const err = RocketMQError.from(e);
          if (!err.retriable) throw err;
          io.stderr.write(`warning: receive failed (${err.code}): ${err.message}; retrying\n`);
          await sleep(io.timers, retryMs, stop.signal).catch(() => {});
          retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
          continue;
        }
        for (const m of batch) {
          received++;
          io.stdout.write(json ? `${JSON.stringify(messageJson(m))}\n` : formatMessage(m, received));
          if (!ack) continue;
          try {
            await consumer.ack(m);
          } catch (e) {
            ackFailures++;
            const err = RocketMQError.from(e);
            io.stderr.write(`warning: ack of ${m.messageId} failed (${err.code}): ${err.message}\n`);
          }
        }
      }
    } finally {
      io.timers.clearTimeout(waitTimer);
      io.signal.removeEventListener('abort', onInterrupt);
      await consumer.shutdown();
    }
    const acked = ack ? `, ${received - ackFailures} acknowledged` : ', none acknowledged (--no-ack)';
    io.stderr.write(`received ${received} message${received === 1 ? '' : 's'}${acked}\n`);
    if (io.signal.aborted) return EXIT.INTERRUPTED;
    if (count !== undefined && received < count) {
      io.stderr.write(`error: received ${received} of ${count} messages within ${waitText}\n`);
      return EXIT.FAILED;
    }
    return ackFailures > 0 ? EXIT.FAILED : EXIT.OK;
  },
};
