/**
 * `rocketmq-ts <command> [arguments]`: parses the command line, runs the command and turns its outcome
 * into an exit code (see `exit.ts`). Errors are printed to stderr with a hint on what to do.
 *
 * @packageDocumentation
 */

import { parseArgs } from 'node:util';
import { RocketMQError, VERSION } from '../index.js';
import type { Command, CommandContext, OptionValues } from './command.js';
import { dlqCommand, lagCommand, messageCommand, offsetCommand } from './commands/admin-ops.js';
import { groupCommand, topicCommand } from './commands/admin-topic-group.js';
import { benchCommand } from './commands/bench.js';
import { consumeCommand } from './commands/consume.js';
import { routeCommand } from './commands/route.js';
import { sendCommand } from './commands/send.js';
import { describeFailure, EXIT, exitCodeOf } from './exit.js';
import type { CliIo } from './io.js';

/** The sub-commands, in help order. */
export const COMMANDS: readonly Command[] = [
  sendCommand,
  consumeCommand,
  routeCommand,
  benchCommand,
  topicCommand,
  groupCommand,
  lagCommand,
  messageCommand,
  dlqCommand,
  offsetCommand,
];

/** The top-level help. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `rocketmq-ts ${VERSION}: a command line client for Apache RocketMQ 5.x (gRPC proxy)

Usage: rocketmq-ts <command> [arguments] [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run "rocketmq-ts <command> --help" for the command's options.

The endpoint and credentials come from --endpoint, --access-key, --secret-key, or from the
environment: ROCKETMQ_ENDPOINT, ROCKETMQ_ACCESS_KEY, ROCKETMQ_SECRET_KEY (and ROCKETMQ_NAMESPACE).
The admin commands (topic, group, lag, message, dlq, offset) talk to the name server instead:
--namesrv or ROCKETMQ_NAMESRV.
NODE_DEBUG=rocketmq (or --verbose) logs what the client does to stderr.

Exit codes:
  0    success
  1    the operation failed (refused by the broker, failed sends, --count not reached)
  2    usage error (bad or missing arguments)
  3    the endpoint cannot be reached or did not answer in time
  4    authentication or permission refused
  5    topic or consumer group not found
  130  interrupted (Ctrl-C)
`;
}

function isParseArgsError(err: unknown): err is Error & { code: string } {
  const code: unknown = err instanceof TypeError ? (err as unknown as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

/** Runs the CLI with `argv` (without the node and script paths); resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    io.stdout.write(topic === undefined ? mainHelp() : `${topic.help}\n`);
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${VERSION}\n`);
    return EXIT.OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(
      `error: unknown command "${name}"\nhint: the commands are ${COMMANDS.map((c) => c.name).join(', ')}; run "rocketmq-ts --help"\n`,
    );
    return EXIT.USAGE;
  }
  let values: OptionValues;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...rest],
      options: command.options,
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    if (!isParseArgsError(err)) throw err;
    io.stderr.write(`error: ${err.message}\nhint: run "rocketmq-ts ${command.name} --help"\n`);
    return EXIT.USAGE;
  }
  if (values.help === true) {
    io.stdout.write(`${command.help}\n`);
    return EXIT.OK;
  }
  const ctx: CommandContext = { io, values, positionals, errorContext: {} };
  try {
    return await command.run(ctx);
  } catch (reason) {
    const err = RocketMQError.from(reason);
    if (io.signal.aborted && (err.code === 'ABORTED' || err.code === 'CLOSED')) {
      io.stderr.write('interrupted\n');
      return EXIT.INTERRUPTED;
    }
    io.stderr.write(describeFailure(err, ctx.errorContext, values.verbose === true));
    if (err.code === 'INVALID_ARGUMENT') io.stderr.write(`usage: run "rocketmq-ts ${command.name} --help"\n`);
    return exitCodeOf(err);
  }
}
