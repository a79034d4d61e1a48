/**
 * Exit codes of the CLI and the advice printed with an error. Errors are `RocketMQError`s; their
 * stable `code` decides both.
 *
 * | exit | meaning |
 * |---|---|
 * | 0 | success |
 * | 1 | the operation failed (the broker refused it, bench saw errors, `--count` not reached) |
 * | 2 | usage: bad or missing arguments |
 * | 3 | the endpoint cannot be reached or did not answer in time |
 * | 4 | authentication or permission refused |
 * | 5 | topic or consumer group not found |
 * | 130 | interrupted (Ctrl-C) |
 *
 * @packageDocumentation
 */

import { type ErrorCode, RocketMQError } from '../index.js';

/** The CLI's exit codes. */
export const EXIT = Object.freeze({
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  UNREACHABLE: 3,
  AUTH: 4,
  NOT_FOUND: 5,
  INTERRUPTED: 130,
});

/** What the failed command was about, for the hints. */
export interface ErrorContext {
  readonly endpoint?: string | undefined;
  readonly topic?: string | undefined;
  readonly group?: string | undefined;
  /** Whether credentials were given. */
  readonly authenticated?: boolean | undefined;
}

const UNREACHABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'UNAVAILABLE',
  'TIMEOUT',
  'SETTINGS_TIMEOUT',
  'CANCELLED',
  'PROXY_TIMEOUT',
]);
const AUTH: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['UNAUTHORIZED', 'FORBIDDEN']);
const NOT_FOUND: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'TOPIC_NOT_FOUND',
  'CONSUMER_GROUP_NOT_FOUND',
  'NOT_FOUND',
]);

/**
 * The error that explains `err`: a `SETTINGS_TIMEOUT` caused by a transport or broker error (refused
 * connection, bad credentials) is explained by that error.
 */
export function explainingError(err: RocketMQError): RocketMQError {
  if (err.code === 'SETTINGS_TIMEOUT' && err.cause instanceof RocketMQError) return err.cause;
  return err;
}

/** The exit code for an error. */
export function exitCodeOf(reason: RocketMQError): number {
  const err = explainingError(reason);
  if (err.code === 'INVALID_ARGUMENT' || err.code === 'ILLEGAL_ACCESS_POINT') return EXIT.USAGE;
  if (err.code === 'ABORTED') return EXIT.INTERRUPTED;
  if (UNREACHABLE.has(err.code)) return EXIT.UNREACHABLE;
  if (AUTH.has(err.code)) return EXIT.AUTH;
  if (NOT_FOUND.has(err.code)) return EXIT.NOT_FOUND;
  return EXIT.FAILED;
}

/** One line of advice on what to do about `err`, when there is one. */
export function hintFor(reason: RocketMQError, ctx: ErrorContext): string | undefined {
  const err = explainingError(reason);
  const at = ctx.endpoint === undefined ? 'the endpoint' : ctx.endpoint;
  const topic = ctx.topic === undefined ? '<topic>' : ctx.topic;
  switch (err.code) {
    case 'UNAVAILABLE':
      return `cannot reach ${at}: check that a RocketMQ 5.x proxy listens there (its gRPC port, 8081 by default), or pass another --endpoint / ROCKETMQ_ENDPOINT; add --tls if the proxy requires TLS`;
    case 'TIMEOUT':
    case 'SETTINGS_TIMEOUT':
    case 'CANCELLED':
      return `${at} did not answer in time: make sure it is the proxy's gRPC port (not the name server's 9876 or the remoting port 10911), that --tls matches the proxy, or raise --request-timeout`;
    case 'PROXY_TIMEOUT':
      return 'the proxy timed out talking to the broker: check the broker, then retry';
    case 'UNAUTHORIZED':
      return ctx.authenticated === true
        ? 'the proxy refused the credentials: check --access-key/--secret-key (ROCKETMQ_ACCESS_KEY/ROCKETMQ_SECRET_KEY)'
        : 'the proxy requires authentication: pass --access-key and --secret-key (or set ROCKETMQ_ACCESS_KEY and ROCKETMQ_SECRET_KEY)';
    case 'FORBIDDEN':
      return 'the account may not use this topic or group: grant it in the ACL, or use other credentials';
    case 'TOPIC_NOT_FOUND':
      return `topic "${topic}" does not exist: create it first, e.g. mqadmin updateTopic -n <namesrv:9876> -c DefaultCluster -t ${topic} (add -a +message.type=DELAY|FIFO|TRANSACTION for other types)`;
    case 'CONSUMER_GROUP_NOT_FOUND':
      return `consumer group "${ctx.group ?? '<group>'}" does not exist: create it, e.g. mqadmin updateSubGroup -n <namesrv:9876> -c DefaultCluster -g ${ctx.group ?? '<group>'}`;
    case 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE':
      return `topic "${topic}" accepts another message type: a plain send needs a NORMAL topic, --delay a DELAY topic and --message-group a FIFO topic`;
    case 'TOO_MANY_REQUESTS':
      return 'the proxy is throttling: lower --concurrency, or retry later';
    case 'MESSAGE_BODY_TOO_LARGE':
    case 'PAYLOAD_TOO_LARGE':
      return 'the body is larger than the proxy accepts (4 MiB by default): send a smaller one';
    case 'ILLEGAL_ACCESS_POINT':
      return 'the endpoint is malformed: pass --endpoint host:port (port 1–65535), or several IP addresses joined by ";"';
    case 'ILLEGAL_CONSUMER_GROUP':
    case 'ILLEGAL_TOPIC':
    case 'ILLEGAL_MESSAGE_TAG':
    case 'ILLEGAL_MESSAGE_KEY':
    case 'ILLEGAL_FILTER_EXPRESSION':
      return 'fix the argument named in the message and run the command again';
    default:
      return undefined;
  }
}

/** The lines printed to stderr for a failure. */
export function describeFailure(reason: unknown, ctx: ErrorContext, verbose = false): string {
  const err = RocketMQError.from(reason);
  const lines = [`error: ${err.message} (${err.code})`];
  const hint = hintFor(err, ctx);
  if (hint !== undefined) lines.push(`hint: ${hint}`);
  if (verbose) {
    const details = [
      err.brokerCode === undefined ? undefined : `broker code ${err.brokerCode}`,
      err.grpcCode === undefined ? undefined : `gRPC status ${err.grpcCode}`,
      err.requestId === undefined ? undefined : `request id ${err.requestId}`,
    ].filter((d) => d !== undefined);
    if (details.length > 0) lines.push(`details: ${details.join(', ')}`);
    if (err.cause instanceof Error) lines.push(`cause: ${err.cause.message}`);
  }
  return `${lines.join('\n')}\n`;
}
