/**
 * `rocketmq-ts route <topic>`: prints the topic's queues as the proxy routes them (QueryRoute).
 *
 * The public clients do not expose routes, so this command uses the protocol core directly (the CLI is
 * the top layer): a producer-type client that starts (settings handshake) and queries one route.
 *
 * @packageDocumentation
 */

import { ClientCore } from '../../protocol/client-core.js';
import { type Command, flag } from '../command.js';
import { EXIT } from '../exit.js';
import { formatRoute, routeJson } from '../format.js';
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  type ConnectionValues,
  clientOptions,
  positional,
  resolveConnection,
  usageError,
} from '../options.js';

export const routeCommand: Command = {
  name: 'route',
  summary: "print a topic's queues, brokers, permissions and message types",
  help: `Usage: rocketmq-ts route <topic> [options]

Prints the route of <topic>: one row per queue with its broker, permission, endpoints and the
message types it accepts.

Output:
      --json                   print the route as JSON

${CONNECTION_HELP}

Example:
  rocketmq-ts route orders -e 127.0.0.1:8081`,
  options: { ...CONNECTION_OPTIONS, json: { type: 'boolean' } },
  async run({ io, values, positionals, errorContext }) {
    const topic = positional(positionals, 0, 'topic: rocketmq-ts route <topic>');
    if (positionals.length > 1) throw usageError(`unexpected argument "${positionals[1]}"`);
    errorContext.topic = topic;
    const conn = resolveConnection(values as ConnectionValues, io);
    errorContext.endpoint = conn.endpoints;
    errorContext.authenticated = conn.authenticated;
    const { endpoints, ...rest } = clientOptions(conn);
    const core = new ClientCore({ ...rest, clientType: 'producer', accessPoint: endpoints });
    try {
      await core.start({ signal: io.signal });
      const route = await core.getRoute(topic, { signal: io.signal });
      io.stdout.write(
        flag(values, 'json') ? `${JSON.stringify(routeJson(route), null, 2)}\n` : formatRoute(route),
      );
      return EXIT.OK;
    } finally {
      await core.shutdown();
    }
  },
};
