/**
 * Prints the README's error-codes table, generated from src/errors.ts: every code of the
 * `ClientErrorCode` and `BrokerErrorCode` unions (read from the source with the TypeScript parser), the
 * broker's numeric status from `BROKER_CODES`, and the default retriability from `defaultRetriable()`.
 * Meaning and advice are kept here, one entry per code; a code without an entry (or an entry without a
 * code) is an error, so adding a code to src/errors.ts forces this table to be updated.
 *
 *   npx tsx scripts/error-codes-table.ts           print the table (markdown)
 *   npx tsx scripts/error-codes-table.ts --write   replace the table in README.md (between the
 *                                                 `<!-- generated:error-codes -->` markers)
 *
 * test/unit/scripts/error-codes-table.test.ts fails when README.md is not up to date with the code.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';
import { BROKER_CODES, defaultRetriable, type ErrorCode } from '../src/errors.js';
import { writeSection } from './readme-sections.js';

const ROOT = resolve(import.meta.dirname, '..');

/** The name of the generated part of README.md (see readme-sections.ts). */
export const SECTION = 'error-codes';

/** Meaning and what to do, per code. */
const TEXT: Readonly<Record<ErrorCode, readonly [meaning: string, todo: string]>> = {
  // ── detected by the client ──
  INVALID_ARGUMENT: [
    'A bad argument or option was given to a public API; nothing was sent.',
    'Fix the call; the message names the argument.',
  ],
  INVALID_STATE: [
    'The call is not allowed in the current state: e.g. `send` before `start()`, `commit()` of a rolled-back transaction, `receive` without subscriptions.',
    'Follow the lifecycle: `await start()` first.',
  ],
  TIMEOUT: [
    'A deadline passed: the call’s `timeoutMs`, the request timeout, or gRPC `DEADLINE_EXCEEDED`.',
    'Retried by the producer within its attempts. A send that timed out may still have been stored: make consumers idempotent (message id or keys).',
  ],
  ABORTED: ['The caller’s `AbortSignal` fired.', 'Nothing: you asked for it.'],
  CANCELLED: [
    'The call was cancelled without the caller asking (gRPC `CANCELLED`, e.g. the connection went away).',
    'Retry.',
  ],
  CLOSED: [
    'The client, or the part the call needed, was shut down (also: a registry that is shutting down).',
    'Do not use a client after `shutdown()`; create a new one.',
  ],
  UNAVAILABLE: [
    'The endpoint cannot be reached (gRPC `UNAVAILABLE`: refused, reset, DNS, TLS handshake).',
    'Check `endpoints` (the proxy’s gRPC port, 8081 by default), that the proxy runs, and that `tls` matches it.',
  ],
  INTERNAL: [
    'An unexpected failure: gRPC `UNKNOWN`/`INTERNAL`/`DATA_LOSS`/`ABORTED`, or a bug in this library. Retriable when gRPC said `INTERNAL` or `ABORTED`.',
    'Retry if `retriable`; report it with `requestId` if it persists.',
  ],
  UNKNOWN_BROKER_CODE: [
    'The broker answered with a status this version does not know, in no known category; `brokerCode` holds the number.',
    'Look the number up in the broker’s `Code` enum; upgrade the client.',
  ],
  SETTINGS_TIMEOUT: [
    '`start()` got no Settings reply over the telemetry stream in time.',
    'Check that `endpoints` is a RocketMQ 5.x gRPC proxy (not the name server or the broker’s remoting port) and that it is not overloaded.',
  ],
  RUNTIME_UNSUPPORTED: [
    '`start()` found the JavaScript runtime without a feature the client needs; the message names each one (for example `node:http2` `connect`).',
    'Run on a runtime from the README’s Runtimes table (Node.js ≥ 20, Bun, Deno).',
  ],
  // ── broker status codes ──
  CODE_UNSPECIFIED: ['The broker answered without a status code.', 'Report it with `requestId`.'],
  MULTIPLE_RESULTS: [
    'The entries of a batch call had different results.',
    'Read the per-entry results (the push consumer does this for acks).',
  ],
  BAD_REQUEST: [
    'The proxy refused the request as invalid (also gRPC `INVALID_ARGUMENT`, `ALREADY_EXISTS`, `OUT_OF_RANGE`).',
    'Fix the request; the message says what was refused.',
  ],
  ILLEGAL_ACCESS_POINT: ['The access point is invalid.', 'Check `endpoints`.'],
  ILLEGAL_TOPIC: [
    'Invalid topic name: characters, length, or a system / retry / dead-letter topic.',
    'Use `[%a-zA-Z0-9_|-]`, at most 127 characters.',
  ],
  ILLEGAL_CONSUMER_GROUP: ['Invalid consumer group name.', 'Use a valid group name.'],
  ILLEGAL_MESSAGE_TAG: ['Invalid tag: blank, or with `|` or control characters.', 'Fix the tag.'],
  ILLEGAL_MESSAGE_KEY: ['Invalid key: blank or with control characters.', 'Fix the keys.'],
  ILLEGAL_MESSAGE_GROUP: ['Invalid message group: blank, or 64 UTF-8 bytes or more.', 'Use a shorter group.'],
  ILLEGAL_MESSAGE_PROPERTY_KEY: [
    'A user property key is invalid or reserved by the broker (e.g. `KEYS`, `TAGS`, `DELAY`).',
    'Rename the property.',
  ],
  INVALID_TRANSACTION_ID: [
    'EndTransaction named an unknown or invalid transaction.',
    'The transaction was probably resolved already (by a check) or expired; nothing to end.',
  ],
  ILLEGAL_MESSAGE_ID: ['Invalid message id.', 'Pass the id the broker returned.'],
  ILLEGAL_FILTER_EXPRESSION: [
    'Invalid tag or SQL92 filter, or SQL92 filtering is off on the broker (`enablePropertyFilter`).',
    'Fix the expression, or enable property filtering on the broker.',
  ],
  ILLEGAL_INVISIBLE_TIME: [
    'Invisible duration out of range (the proxy accepts 10 s – 12 h on receive by default).',
    'Use a duration in range.',
  ],
  ILLEGAL_DELIVERY_TIME: [
    'Delivery time in the past or beyond the largest delay (24 h by default, the proxy’s `maxDelayTimeMills`).',
    'Use a delivery time in range.',
  ],
  INVALID_RECEIPT_HANDLE: [
    'The receipt handle expired (the invisible duration passed) or was superseded by `changeInvisibleDuration`.',
    'The message is delivered again: handle idempotently, ack sooner, or extend the lease (the push consumer renews leases itself).',
  ],
  MESSAGE_PROPERTY_CONFLICT_WITH_TYPE: [
    'The message’s type (NORMAL, FIFO, DELAY, TRANSACTION, PRIORITY) does not match the topic’s `message.type`.',
    'Send to a topic of that type (delay messages need a DELAY topic on 5.x), or create one.',
  ],
  UNRECOGNIZED_CLIENT_TYPE: ['The server does not know this client type.', 'Upgrade the server.'],
  MESSAGE_CORRUPTED: ['The message failed its checksum.', 'Report it; check the network path.'],
  CLIENT_ID_REQUIRED: ['The request had no client id.', 'Report it (a library bug).'],
  ILLEGAL_POLLING_TIME: [
    'The long-polling time does not fit in the call’s deadline.',
    'Give the receive a larger `timeoutMs` or a shorter `awaitDurationMs`.',
  ],
  ILLEGAL_OFFSET: ['Invalid offset.', 'Use an offset inside the queue.'],
  ILLEGAL_LITE_TOPIC: ['Invalid lite topic name.', 'Fix the lite topic.'],
  INVALID_CLIENT_PROPERTIES: ['The client’s settings were refused.', 'Report it with `requestId`.'],
  UNAUTHORIZED: [
    'Authentication failed: no, unknown or wrong credentials, or a bad signature (also gRPC `UNAUTHENTICATED`).',
    'Check `credentials` (access key, secret, token) and the machine’s clock.',
  ],
  PAYMENT_REQUIRED: ['The account is in arrears (cloud offerings).', 'Settle the account.'],
  FORBIDDEN: [
    'Not allowed: the ACL denies it (also gRPC `PERMISSION_DENIED`), or the topic has no readable / writable queue.',
    'Grant the permission, or fix the topic’s permissions.',
  ],
  NOT_FOUND: [
    'Something does not exist (also gRPC `NOT_FOUND`, and unknown `404xx` codes).',
    'See the message.',
  ],
  MESSAGE_NOT_FOUND: [
    'No message: e.g. a long poll that found nothing.',
    'Nothing: `receive` turns it into `[]`.',
  ],
  TOPIC_NOT_FOUND: [
    'The topic does not exist.',
    'Create it (`mqadmin updateTopic -t <topic> -c <cluster> -a +message.type=<TYPE>`).',
  ],
  CONSUMER_GROUP_NOT_FOUND: [
    'The consumer group does not exist.',
    'Create it (`mqadmin updateSubGroup`), or let the broker create groups (`autoCreateSubscriptionGroup`).',
  ],
  OFFSET_NOT_FOUND: ['No offset for the queue.', 'Use another offset option.'],
  REQUEST_TIMEOUT: ['The server timed out handling the request.', 'Retry (the producer does).'],
  PAYLOAD_TOO_LARGE: ['The request is too large.', 'Send less per request.'],
  MESSAGE_BODY_TOO_LARGE: [
    'The body (or a batch’s bodies together) exceeds the limit (4 MiB by default).',
    'Compress or split it, or store the payload elsewhere and send a reference.',
  ],
  MESSAGE_BODY_EMPTY: ['The body is empty.', 'Send a non-empty body.'],
  PRECONDITION_FAILED: [
    'A precondition failed (also gRPC `FAILED_PRECONDITION`), e.g. the proxy holds no settings for the client.',
    'See the message; restarting the client renews its settings.',
  ],
  TOO_MANY_REQUESTS: [
    'Throttled by the broker or proxy (also gRPC `RESOURCE_EXHAUSTED`).',
    'The producer backs off with the server’s policy and retries; lower the rate or scale the cluster.',
  ],
  LITE_TOPIC_QUOTA_EXCEEDED: ['Too many lite topics.', 'Free quota or raise it; waiting does not help.'],
  LITE_SUBSCRIPTION_QUOTA_EXCEEDED: [
    'Too many lite subscriptions.',
    'Free quota or raise it; waiting does not help.',
  ],
  REQUEST_HEADER_FIELDS_TOO_LARGE: ['The request headers are too large.', 'Report it.'],
  MESSAGE_PROPERTIES_TOO_LARGE: [
    'Properties, keys and tag together exceed 16 KiB, or more than 128 properties.',
    'Move data into the body.',
  ],
  INTERNAL_ERROR: ['An internal error of the broker or proxy.', 'Retry (the producer does).'],
  INTERNAL_SERVER_ERROR: [
    'An internal error of the server (e.g. the proxy could not reach the broker).',
    'Retry (the producer does).',
  ],
  HA_NOT_AVAILABLE: ['The broker’s replicas are not available.', 'Retry; check the replicas.'],
  NOT_IMPLEMENTED: [
    'The server does not implement the call (also gRPC `UNIMPLEMENTED`).',
    'Upgrade the server (recall needs ≥ 5.3.2).',
  ],
  PROXY_TIMEOUT: ['The proxy timed out waiting for the broker.', 'Retry (the producer does).'],
  MASTER_PERSISTENCE_TIMEOUT: [
    'The master did not flush the message to disk in time (synchronous flush).',
    'Retry; the message may be stored already: consumers must be idempotent.',
  ],
  SLAVE_PERSISTENCE_TIMEOUT: [
    'The replica did not acknowledge the message in time (synchronous replication).',
    'Retry; the message may be stored already: consumers must be idempotent.',
  ],
  UNSUPPORTED: ['The server does not support this feature or message type.', 'Check the server version.'],
  VERSION_UNSUPPORTED: ['The server does not support this protocol version.', 'Upgrade the server.'],
  VERIFY_FIFO_MESSAGE_UNSUPPORTED: ['Verifying FIFO messages is not supported.', 'Nothing.'],
  FAILED_TO_CONSUME_MESSAGE: [
    'A client reported that it failed to consume a message (answer to a verify command).',
    'See the consumer’s logs.',
  ],
};

/** One row of the table. */
export interface ErrorCodeRow {
  readonly code: ErrorCode;
  /** The broker's numeric status, for broker codes. */
  readonly brokerCode: number | undefined;
  readonly retriable: boolean;
  readonly meaning: string;
  readonly todo: string;
}

/** The string members of a union type alias declared in `source`. */
export function unionMembers(source: string, typeName: string): string[] {
  const file = ts.createSourceFile('errors.ts', source, ts.ScriptTarget.Latest, true);
  for (const statement of file.statements) {
    if (!ts.isTypeAliasDeclaration(statement) || statement.name.text !== typeName) continue;
    const type = statement.type;
    const members = ts.isUnionTypeNode(type) ? type.types : [type];
    return members.map((m) => {
      if (ts.isLiteralTypeNode(m) && ts.isStringLiteral(m.literal)) return m.literal.text;
      throw new Error(`${typeName}: a member is not a string literal: ${m.getText(file)}`);
    });
  }
  throw new Error(`no type alias ${typeName}`);
}

/** The rows: client codes in declaration order, then broker codes by status number. */
export function errorCodeRows(source = readFileSync(resolve(ROOT, 'src/errors.ts'), 'utf8')): ErrorCodeRow[] {
  const client = unionMembers(source, 'ClientErrorCode') as ErrorCode[];
  const broker = unionMembers(source, 'BrokerErrorCode') as ErrorCode[];
  const numbers = new Map<ErrorCode, number>();
  for (const [n, info] of BROKER_CODES) numbers.set(info.code, n);
  const missing = broker.filter((c) => !numbers.has(c));
  if (missing.length > 0) throw new Error(`broker codes without a status number in BROKER_CODES: ${missing}`);
  const all = [...client, ...[...broker].sort((a, b) => numbers.get(a)! - numbers.get(b)!)];
  const undocumented = all.filter((c) => TEXT[c] === undefined);
  if (undocumented.length > 0) {
    throw new Error(`codes without a meaning in scripts/error-codes-table.ts: ${undocumented.join(', ')}`);
  }
  const stale = Object.keys(TEXT).filter((c) => !all.includes(c as ErrorCode));
  if (stale.length > 0)
    throw new Error(`scripts/error-codes-table.ts describes unknown codes: ${stale.join(', ')}`);
  return all.map((code) => ({
    code,
    brokerCode: numbers.get(code),
    retriable: defaultRetriable(code),
    meaning: TEXT[code][0],
    todo: TEXT[code][1],
  }));
}

/** The markdown table. */
export function errorCodesTable(rows: readonly ErrorCodeRow[] = errorCodeRows()): string {
  const cell = (s: string): string => s.replaceAll('|', '\\|');
  return [
    '| `code` | broker status | retriable | meaning | what to do |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| \`${r.code}\` | ${r.brokerCode ?? '—'} | ${r.retriable ? 'yes' : 'no'} | ${cell(r.meaning)} | ${cell(r.todo)} |`,
    ),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const table = errorCodesTable();
  if (process.argv.includes('--write')) {
    const path = resolve(ROOT, 'README.md');
    writeFileSync(path, writeSection(readFileSync(path, 'utf8'), SECTION, table));
    console.log(`README.md: error-codes table written (${table.split('\n').length - 2} codes)`);
  } else {
    console.log(table);
  }
}
