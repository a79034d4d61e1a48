/**
 * `rocketmq-ts send <topic> [body]`: sends one message (or `--count` copies) and prints each receipt.
 *
 * @packageDocumentation
 */

import { type MessageInit, Producer } from '../../index.js';
import { type Command, flag, stringValue, stringValues } from '../command.js';
import { EXIT } from '../exit.js';
import { formatReceipt, receiptJson } from '../format.js';
import {
  CONNECTION_HELP,
  clientOptions,
  CONNECTION_OPTIONS,
  type ConnectionValues,
  parseCount,
  parseDuration,
  positional,
  resolveConnection,
  splitList,
  usageError,
} from '../options.js';

function parseProperties(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw usageError(`--property must look like key=value, got "${item}"`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

export const sendCommand: Command = {
  name: 'send',
  summary: 'send a message (or --count copies) and print the receipts',
  help: `Usage: rocketmq-ts send <topic> [body] [options]

Sends a message to <topic>. The body is the second argument, or the content of --file
(--file - reads standard input).

Message:
      --file <path>            read the body from a file ("-" for standard input)
      --tag <tag>              message tag
      --keys <k1,k2>           message keys (repeatable)
      --property <key=value>   user property (repeatable)
      --message-group <group>  message group (FIFO topics)
      --delay <dur>            deliver after this delay (DELAY topics), e.g. 30s or 5m
      --lite-topic <name>      publish to this lite topic of <topic> (LITE topics, RocketMQ 5.5)
      --count <n>              send the message n times (default 1)
      --json                   print receipts as JSON lines

${CONNECTION_HELP}

Examples:
  rocketmq-ts send orders 'hello' --tag created --keys order-1 -e 127.0.0.1:8081
  rocketmq-ts send orders --file order.json --delay 10s
  rocketmq-ts send chat 'hi' --lite-topic session-42`,
  options: {
    ...CONNECTION_OPTIONS,
    file: { type: 'string' },
    tag: { type: 'string' },
    keys: { type: 'string', multiple: true },
    property: { type: 'string', multiple: true },
    'message-group': { type: 'string' },
    delay: { type: 'string' },
    'lite-topic': { type: 'string' },
    count: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ io, values, positionals, errorContext }) {
    const topic = positional(positionals, 0, 'topic: rocketmq-ts send <topic> [body]');
    errorContext.topic = topic;
    const file = stringValue(values, 'file');
    const inline = positionals[1];
    if (positionals.length > 2) throw usageError('too many arguments: quote a body that has spaces');
    if (file !== undefined && inline !== undefined)
      throw usageError('give the body either inline or with --file');
    if (file === undefined && inline === undefined) {
      throw usageError('missing body: give it as the second argument or with --file (--file - reads stdin)');
    }
    const count = parseCount(stringValue(values, 'count') ?? '1', '--count');
    const delay = stringValue(values, 'delay');
    const tag = stringValue(values, 'tag');
    const messageGroup = stringValue(values, 'message-group');
    const liteTopic = stringValue(values, 'lite-topic');
    const keys = splitList(stringValues(values, 'keys'));
    const properties = parseProperties(stringValues(values, 'property'));
    const conn = resolveConnection(values as ConnectionValues, io);
    errorContext.endpoint = conn.endpoints;
    errorContext.authenticated = conn.authenticated;
    const body = file === undefined ? inline! : await io.readFile(file);
    const message: MessageInit = {
      topic,
      body,
      ...(tag === undefined ? {} : { tag }),
      ...(keys.length === 0 ? {} : { keys }),
      ...(Object.keys(properties).length === 0 ? {} : { properties }),
      ...(messageGroup === undefined ? {} : { messageGroup }),
      ...(liteTopic === undefined ? {} : { liteTopic }),
      ...(delay === undefined ? {} : { delayMs: parseDuration(delay, '--delay') }),
    };
    const json = flag(values, 'json');
    const producer = new Producer({ ...clientOptions(conn), topics: [topic] });
    try {
      await producer.start({ signal: io.signal });
      const started = io.now();
      for (let i = 0; i < count; i++) {
        const receipt = await producer.send(message, { signal: io.signal });
        io.stdout.write(`${json ? JSON.stringify(receiptJson(receipt)) : formatReceipt(receipt)}\n`);
      }
      if (count > 1 && !json) {
        const ms = Math.round(io.now() - started);
        io.stderr.write(`sent ${count} messages to ${topic} in ${ms} ms\n`);
      }
      return EXIT.OK;
    } finally {
      await producer.shutdown();
    }
  },
};
