/**
 * `rocketmq-ts topic …` and `rocketmq-ts group …`: create, update, delete, list and describe topics
 * and consumer groups through `rocketmq-ts/admin`.
 *
 * @packageDocumentation
 */

import type {
  BrokerResult,
  GroupOptions,
  TopicMessageType,
  TopicOptions,
  TopicPermission,
} from '../../admin/index.js';
import { ADMIN_HELP, ADMIN_OPTIONS, print, table, withAdmin } from '../admin-cli.js';
import { type Command, type CommandContext, flag, stringValue, stringValues } from '../command.js';
import { EXIT } from '../exit.js';
import { parseCount, positional, splitList, usageError } from '../options.js';

function brokerResults(ctx: CommandContext, results: readonly BrokerResult[]): number {
  print(ctx.io, flag(ctx.values, 'json'), results, () =>
    table(
      ['BROKER', 'ADDRESS', 'RESULT'],
      results.map((r) => [r.brokerName, r.address, r.ok ? 'ok' : `${r.code}: ${r.message}`]),
    ),
  );
  return results.every((r) => r.ok) ? EXIT.OK : EXIT.FAILED;
}

function action(ctx: CommandContext, allowed: readonly string[], usage: string): string {
  const a = positional(ctx.positionals, 0, usage);
  if (!allowed.includes(a)) throw usageError(`unknown action "${a}"; use ${allowed.join(', ')}`);
  return a;
}

function selection(ctx: CommandContext): { brokers?: string[]; cluster?: string } {
  const brokers = splitList(stringValues(ctx.values, 'broker'));
  const cluster = stringValue(ctx.values, 'cluster');
  return { ...(brokers.length > 0 ? { brokers } : {}), ...(cluster ? { cluster } : {}) };
}

export const topicCommand: Command = {
  name: 'topic',
  summary: 'create, update, delete, list or describe topics (name server)',
  help: `Usage: rocketmq-ts topic create|update <topic> [--type FIFO] [--queues N] [--perm RW]
       rocketmq-ts topic delete|describe <topic>
       rocketmq-ts topic list [--all]

Options:
      --type <type>            NORMAL, FIFO, DELAY or TRANSACTION (create default NORMAL)
      --queues <n>             read and write queues per broker (create default 8)
      --read-queues <n>        read queues per broker
      --write-queues <n>       write queues per broker
      --perm <perm>            RW, R, W or NONE
      --broker <name>          only these masters (repeatable or comma-separated)
      --cluster <name>         only the masters of this cluster
      --all                    list: include system, retry and dead-letter topics

${ADMIN_HELP}

Example:
  rocketmq-ts topic create orders --type FIFO --queues 4 -n 127.0.0.1:9876`,
  options: {
    ...ADMIN_OPTIONS,
    type: { type: 'string' },
    queues: { type: 'string' },
    'read-queues': { type: 'string' },
    'write-queues': { type: 'string' },
    perm: { type: 'string' },
    broker: { type: 'string', multiple: true },
    cluster: { type: 'string' },
    all: { type: 'boolean' },
  },
  async run(ctx) {
    const a = action(
      ctx,
      ['create', 'update', 'delete', 'list', 'describe'],
      'action: rocketmq-ts topic <action>',
    );
    const json = flag(ctx.values, 'json');
    const count = (name: string) => {
      const v = stringValue(ctx.values, name);
      return v === undefined ? undefined : parseCount(v, `--${name}`, { min: 0, max: 1_000_000 });
    };
    if (a === 'list') {
      return withAdmin(ctx, async (admin) => {
        const names = await admin.listTopics({
          signal: ctx.io.signal,
          includeSystem: flag(ctx.values, 'all'),
        });
        print(ctx.io, json, names, () => (names.length > 0 ? `${names.join('\n')}\n` : ''));
        return EXIT.OK;
      });
    }
    const topic = positional(ctx.positionals, 1, `topic: rocketmq-ts topic ${a} <topic>`);
    ctx.errorContext.topic = topic;
    const options: TopicOptions = {
      ...selection(ctx),
      ...(stringValue(ctx.values, 'type')
        ? { type: stringValue(ctx.values, 'type')?.toUpperCase() as TopicMessageType }
        : {}),
      ...(stringValue(ctx.values, 'perm')
        ? { perm: stringValue(ctx.values, 'perm')?.toUpperCase() as TopicPermission }
        : {}),
      ...(count('queues') === undefined ? {} : { queues: count('queues') }),
      ...(count('read-queues') === undefined ? {} : { readQueues: count('read-queues') }),
      ...(count('write-queues') === undefined ? {} : { writeQueues: count('write-queues') }),
    };
    return withAdmin(ctx, async (admin) => {
      const signal = ctx.io.signal;
      if (a === 'create') return brokerResults(ctx, await admin.createTopic(topic, { ...options, signal }));
      if (a === 'update') return brokerResults(ctx, await admin.updateTopic(topic, { ...options, signal }));
      if (a === 'delete') return brokerResults(ctx, await admin.deleteTopic(topic, { signal }));
      const d = await admin.describeTopic(topic, { signal });
      print(ctx.io, json, d, () => {
        const head = `topic ${d.topic}  type ${d.type ?? '-'}\n`;
        const brokers = table(
          ['BROKER', 'ADDRESS', 'READ', 'WRITE', 'PERM'],
          d.brokers.map((b) => [b.brokerName, b.address, b.readQueues, b.writeQueues, b.perm]),
        );
        const queues = table(
          ['BROKER', 'QUEUE', 'MIN', 'MAX', 'LAST UPDATE'],
          d.queues.map((q) => [
            q.brokerName,
            q.queueId,
            q.minOffset,
            q.maxOffset,
            q.lastUpdateTimestamp > 0 ? new Date(q.lastUpdateTimestamp).toISOString() : '-',
          ]),
        );
        return `${head}\n${brokers}\n${queues}`;
      });
      return EXIT.OK;
    });
  },
};

export const groupCommand: Command = {
  name: 'group',
  summary: 'create, update, delete, list or describe consumer groups (name server)',
  help: `Usage: rocketmq-ts group create|update <group> [--fifo] [--max-attempts N] [--retry exponential:1s:60s:2|customized:1s,5s]
       rocketmq-ts group delete|describe <group>
       rocketmq-ts group list [--all]

Options:
      --fifo / --no-fifo       orderly (FIFO) consumption
      --max-attempts <n>       deliveries before a message is dead-lettered
      --retry <policy>         exponential:<initial>:<max>:<multiplier> or customized:<d1>,<d2>,…
      --broker <name>          only these masters (repeatable or comma-separated)
      --cluster <name>         only the masters of this cluster
      --all                    list: include system groups

${ADMIN_HELP}`,
  options: {
    ...ADMIN_OPTIONS,
    fifo: { type: 'boolean' },
    'no-fifo': { type: 'boolean' },
    'max-attempts': { type: 'string' },
    retry: { type: 'string' },
    broker: { type: 'string', multiple: true },
    cluster: { type: 'string' },
    all: { type: 'boolean' },
  },
  async run(ctx) {
    const a = action(
      ctx,
      ['create', 'update', 'delete', 'list', 'describe'],
      'action: rocketmq-ts group <action>',
    );
    const json = flag(ctx.values, 'json');
    if (a === 'list') {
      return withAdmin(ctx, async (admin) => {
        const names = await admin.listGroups({
          signal: ctx.io.signal,
          includeSystem: flag(ctx.values, 'all'),
        });
        print(ctx.io, json, names, () => (names.length > 0 ? `${names.join('\n')}\n` : ''));
        return EXIT.OK;
      });
    }
    const group = positional(ctx.positionals, 1, `group: rocketmq-ts group ${a} <group>`);
    ctx.errorContext.group = group;
    const attempts = stringValue(ctx.values, 'max-attempts');
    const retry = stringValue(ctx.values, 'retry');
    const options: GroupOptions = {
      ...selection(ctx),
      ...(flag(ctx.values, 'fifo') ? { fifo: true } : flag(ctx.values, 'no-fifo') ? { fifo: false } : {}),
      ...(attempts === undefined
        ? {}
        : { maxDeliveryAttempts: parseCount(attempts, '--max-attempts', { max: 1000 }) }),
      ...(retry === undefined ? {} : { retryPolicy: parseRetry(retry) }),
    };
    return withAdmin(ctx, async (admin) => {
      const signal = ctx.io.signal;
      if (a === 'create') return brokerResults(ctx, await admin.createGroup(group, { ...options, signal }));
      if (a === 'update') return brokerResults(ctx, await admin.updateGroup(group, { ...options, signal }));
      if (a === 'delete') return brokerResults(ctx, await admin.deleteGroup(group, { signal }));
      const d = await admin.describeGroup(group, { signal });
      print(ctx.io, json, d, () => {
        const p = d.retryPolicy;
        const policy =
          p === undefined
            ? 'broker default'
            : p.kind === 'exponential'
              ? `exponential ${p.initialMs}ms..${p.maxMs}ms x${p.multiplier}`
              : `customized ${p.delaysMs.join(',')}ms`;
        const head = `group ${d.group}  fifo ${d.fifo}  max attempts ${d.maxDeliveryAttempts}  retry ${policy}\nbrokers ${d.brokers.join(', ')}\n\n`;
        return `${head}${table(
          ['CLIENT', 'ADDRESS', 'LANGUAGE', 'VERSION', 'BROKER'],
          d.clients.map((c) => [c.clientId, c.address, c.language, c.version, c.brokerName]),
        )}`;
      });
      return EXIT.OK;
    });
  },
};

function parseRetry(text: string): NonNullable<GroupOptions['retryPolicy']> {
  const ms = (t: string) => {
    const m = /^(\d+)(ms|s|m|h)?$/.exec(t);
    if (!m) throw usageError(`--retry: "${t}" is not a duration`);
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000;
    return Number(m[1]) * unit;
  };
  const [kind, ...rest] = text.split(':');
  if (kind === 'exponential' && rest.length === 3) {
    return { kind, initialMs: ms(rest[0] ?? ''), maxMs: ms(rest[1] ?? ''), multiplier: Number(rest[2]) };
  }
  if (kind === 'customized' && rest.length === 1) {
    return { kind, delaysMs: (rest[0] ?? '').split(',').map(ms) };
  }
  throw usageError('--retry must be exponential:<initial>:<max>:<multiplier> or customized:<d1>,<d2>,…');
}
