/**
 * `rocketmq-ts lag`, `message get|find`, `dlq list|redrive` and `offset reset` through
 * `rocketmq-ts/admin`.
 *
 * @packageDocumentation
 */

import type { AdminMessage, GroupLag } from '../../admin/index.js';
import { ADMIN_HELP, ADMIN_OPTIONS, parseTime, print, table, withAdmin } from '../admin-cli.js';
import { type Command, flag, stringValue, stringValues } from '../command.js';
import { EXIT } from '../exit.js';
import { parseCount, positional, splitList, usageError } from '../options.js';
import { sleep } from '../sleep.js';

function lagTable(l: GroupLag): string {
  const age = l.oldestUnconsumedAgeMs === undefined ? '-' : `${(l.oldestUnconsumedAgeMs / 1000).toFixed(1)}s`;
  return `group ${l.group}  total lag ${l.totalLag}  oldest unconsumed ${age}\n\n${table(
    ['TOPIC', 'BROKER', 'QUEUE', 'BROKER OFFSET', 'CONSUMER OFFSET', 'LAG'],
    l.queues.map((q) => [q.topic, q.brokerName, q.queueId, q.brokerOffset, q.consumerOffset, q.lag]),
  )}`;
}

export const lagCommand: Command = {
  name: 'lag',
  summary: "print a consumer group's lag per queue and in total (name server)",
  help: `Usage: rocketmq-ts lag <group> [--topic <topic>] [--watch]

Options:
      --topic <topic>          only this topic
      --watch                  redraw every second until Ctrl-C

${ADMIN_HELP}`,
  options: { ...ADMIN_OPTIONS, topic: { type: 'string' }, watch: { type: 'boolean' } },
  async run(ctx) {
    const group = positional(ctx.positionals, 0, 'group: rocketmq-ts lag <group>');
    ctx.errorContext.group = group;
    const topic = stringValue(ctx.values, 'topic');
    const json = flag(ctx.values, 'json');
    return withAdmin(ctx, async (admin) => {
      for (;;) {
        const l = await admin.lag(group, { signal: ctx.io.signal, ...(topic ? { topic } : {}) });
        const watching = flag(ctx.values, 'watch');
        if (watching && !json && ctx.io.stdout.isTTY) ctx.io.stdout.write('\x1b[2J\x1b[H');
        print(ctx.io, json, l, () => lagTable(l));
        if (!watching) return EXIT.OK;
        try {
          await sleep(ctx.io.timers, 1000, ctx.io.signal);
        } catch {
          return EXIT.OK;
        }
      }
    });
  },
};

function messageText(m: AdminMessage): string {
  const lines = [
    `id            ${m.messageId}`,
    `topic         ${m.topic}  (broker ${m.brokerName}, queue ${m.queueId}, offset ${m.queueOffset})`,
    `tag           ${m.tag ?? '-'}`,
    `keys          ${m.keys.join(' ') || '-'}`,
    `message group ${m.messageGroup ?? '-'}`,
    `born          ${new Date(m.bornTimestamp).toISOString()} from ${m.bornHost}`,
    `stored        ${new Date(m.storeTimestamp).toISOString()} on ${m.storeHost}`,
    `reconsumed    ${m.reconsumeTimes}`,
    ...Object.entries(m.properties).map(([k, v]) => `property      ${k}=${v}`),
    `body          ${m.body.toString('utf8')}`,
  ];
  return `${lines.join('\n')}\n`;
}

export const messageCommand: Command = {
  name: 'message',
  summary: 'look a message up by id, or find messages by key in a time range (name server)',
  help: `Usage: rocketmq-ts message get <topic> <message-id>
       rocketmq-ts message find <topic> <key> [--begin <time>] [--end <time>] [--max N]

Times are epoch ms, an ISO date, or a duration ago (10m, 2h, 1d).

${ADMIN_HELP}`,
  options: { ...ADMIN_OPTIONS, begin: { type: 'string' }, end: { type: 'string' }, max: { type: 'string' } },
  async run(ctx) {
    const a = positional(ctx.positionals, 0, 'action: rocketmq-ts message get|find');
    if (a !== 'get' && a !== 'find') throw usageError(`unknown action "${a}"; use get or find`);
    const topic = positional(ctx.positionals, 1, `topic: rocketmq-ts message ${a} <topic>`);
    const what = positional(ctx.positionals, 2, a === 'get' ? 'message id' : 'key');
    ctx.errorContext.topic = topic;
    const json = flag(ctx.values, 'json');
    const now = Date.now();
    const begin = stringValue(ctx.values, 'begin');
    const end = stringValue(ctx.values, 'end');
    const max = stringValue(ctx.values, 'max');
    return withAdmin(ctx, async (admin) => {
      if (a === 'get') {
        const m = await admin.getMessage(topic, what, { signal: ctx.io.signal });
        print(ctx.io, json, m, () => messageText(m));
        return EXIT.OK;
      }
      const found = await admin.findMessages(topic, what, {
        signal: ctx.io.signal,
        ...(begin === undefined ? {} : { begin: parseTime(begin, '--begin', now) }),
        ...(end === undefined ? {} : { end: parseTime(end, '--end', now) }),
        ...(max === undefined ? {} : { max: parseCount(max, '--max', { max: 64 }) }),
      });
      print(ctx.io, json, found, () => found.map(messageText).join('\n'));
      return found.length > 0 ? EXIT.OK : EXIT.NOT_FOUND;
    });
  },
};

export const dlqCommand: Command = {
  name: 'dlq',
  summary: "list a group's dead letters or send them back to their topic (name server)",
  help: `Usage: rocketmq-ts dlq list <group> [--max N]
       rocketmq-ts dlq redrive <group> (--id <message-id>… | --all)

${ADMIN_HELP}`,
  options: {
    ...ADMIN_OPTIONS,
    max: { type: 'string' },
    id: { type: 'string', multiple: true },
    all: { type: 'boolean' },
  },
  async run(ctx) {
    const a = positional(ctx.positionals, 0, 'action: rocketmq-ts dlq list|redrive');
    if (a !== 'list' && a !== 'redrive') throw usageError(`unknown action "${a}"; use list or redrive`);
    const group = positional(ctx.positionals, 1, `group: rocketmq-ts dlq ${a} <group>`);
    ctx.errorContext.group = group;
    ctx.errorContext.topic = `%DLQ%${group}`;
    const json = flag(ctx.values, 'json');
    const maxText = stringValue(ctx.values, 'max');
    const max = maxText === undefined ? undefined : parseCount(maxText, '--max', { max: 10_000 });
    const ids = splitList(stringValues(ctx.values, 'id'));
    if (a === 'redrive' && ids.length === 0 && !flag(ctx.values, 'all')) {
      throw usageError('say which dead letters to redrive: --id <message-id> (repeatable) or --all');
    }
    return withAdmin(ctx, async (admin) => {
      const signal = ctx.io.signal;
      if (a === 'list') {
        const letters = await admin.listDeadLetters(group, { signal, ...(max === undefined ? {} : { max }) });
        print(ctx.io, json, letters, () =>
          table(
            ['ID', 'ORIGINAL TOPIC', 'TAG', 'KEYS', 'STORED'],
            letters.map((l) => [
              l.messageId,
              l.originalTopic,
              l.tag,
              l.keys.join(' '),
              new Date(l.storeTimestamp).toISOString(),
            ]),
          ),
        );
        return EXIT.OK;
      }
      const results = await admin.redriveDeadLetters(group, {
        signal,
        ...(ids.length > 0 ? { messageIds: ids } : {}),
        ...(max === undefined ? {} : { max }),
      });
      print(ctx.io, json, results, () =>
        table(
          ['ID', 'RESULT'],
          results.map((r) => [r.messageId, r.ok ? `sent to ${r.topic}` : `${r.code}: ${r.message}`]),
        ),
      );
      return results.every((r) => r.ok) ? EXIT.OK : EXIT.FAILED;
    });
  },
};

export const offsetCommand: Command = {
  name: 'offset',
  summary: "reset a group's offsets on a topic to a time (name server)",
  help: `Usage: rocketmq-ts offset reset <group> <topic> --to <time> [--dry-run]

Moves the group to the first message stored at or after <time> (epoch ms, an ISO date, or a
duration ago such as 10m): earlier replays, later skips. --dry-run prints the change only.

${ADMIN_HELP}`,
  options: { ...ADMIN_OPTIONS, to: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  async run(ctx) {
    const a = positional(ctx.positionals, 0, 'action: rocketmq-ts offset reset');
    if (a !== 'reset') throw usageError(`unknown action "${a}"; use reset`);
    const group = positional(ctx.positionals, 1, 'group: rocketmq-ts offset reset <group> <topic>');
    const topic = positional(ctx.positionals, 2, 'topic: rocketmq-ts offset reset <group> <topic>');
    const to = stringValue(ctx.values, 'to');
    if (to === undefined) throw usageError('--to <time> is required');
    const timestamp = parseTime(to, '--to', Date.now());
    ctx.errorContext.group = group;
    ctx.errorContext.topic = topic;
    return withAdmin(ctx, async (admin) => {
      const r = await admin.resetOffset(group, topic, timestamp, {
        signal: ctx.io.signal,
        dryRun: flag(ctx.values, 'dry-run'),
      });
      print(
        ctx.io,
        flag(ctx.values, 'json'),
        r,
        () =>
          `${r.applied ? 'reset' : 'dry run'}: ${group} on ${topic} to ${new Date(timestamp).toISOString()}\n\n${table(
            ['BROKER', 'QUEUE', 'FROM', 'TO'],
            r.changes.map((c) => [c.brokerName, c.queueId, c.from, c.to]),
          )}`,
      );
      return r.brokers.every((b) => b.ok) ? EXIT.OK : EXIT.FAILED;
    });
  },
};
