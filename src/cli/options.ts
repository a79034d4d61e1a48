/**
 * Option parsing shared by the commands: connection options (flags, else `ROCKETMQ_*` variables),
 * durations (`500ms`, `10s`, `2m`; a bare number is seconds), sizes (`512`, `4k`, `1m`) and counts.
 * Every problem is a `RocketMQError` with code `INVALID_ARGUMENT`, which the CLI turns into exit
 * code 2 and the command's usage hint.
 *
 * @packageDocumentation
 */

import { inspect, type ParseArgsConfig } from 'node:util';
import {
  type CredentialsProvider,
  consoleLogger,
  type Logger,
  RocketMQError,
  staticCredentials,
} from '../index.js';
import type { CliIo } from './io.js';

/** Option definitions understood by every command that talks to a proxy. */
export const CONNECTION_OPTIONS = {
  endpoint: { type: 'string', short: 'e' },
  'access-key': { type: 'string' },
  'secret-key': { type: 'string' },
  namespace: { type: 'string' },
  tls: { type: 'boolean' },
  'request-timeout': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** Help lines of {@link CONNECTION_OPTIONS}. */
export const CONNECTION_HELP = `Connection:
  -e, --endpoint <host:port>   proxy gRPC endpoint(s), "h1:p1;h2:p2" [env ROCKETMQ_ENDPOINT]
      --access-key <key>       access key [env ROCKETMQ_ACCESS_KEY]
      --secret-key <secret>    secret key [env ROCKETMQ_SECRET_KEY]
      --namespace <ns>         resource namespace [env ROCKETMQ_NAMESPACE]
      --tls                    connect with TLS [env ROCKETMQ_TLS=1]
      --request-timeout <dur>  deadline of each call (default 3s)
  -v, --verbose                log the client's diagnosis to stderr (or NODE_DEBUG=rocketmq)
  -h, --help                   show this help`;

/** Parsed values of the connection options. */
export interface ConnectionValues {
  readonly endpoint?: string | undefined;
  readonly 'access-key'?: string | undefined;
  readonly 'secret-key'?: string | undefined;
  readonly namespace?: string | undefined;
  readonly tls?: boolean | undefined;
  readonly 'request-timeout'?: string | undefined;
  readonly verbose?: boolean | undefined;
}

/** Client options derived from the connection options. */
export interface Connection {
  readonly endpoints: string;
  readonly credentials?: CredentialsProvider | undefined;
  /** Whether credentials were given (for error hints). */
  readonly authenticated: boolean;
  readonly namespace?: string | undefined;
  readonly tls?: boolean | undefined;
  readonly requestTimeoutMs?: number | undefined;
  readonly logger?: Logger | undefined;
}

/** The options a Producer or SimpleConsumer takes from a {@link Connection}. */
export function clientOptions(conn: Connection): {
  endpoints: string;
  credentials?: CredentialsProvider;
  namespace?: string;
  tls?: boolean;
  requestTimeoutMs?: number;
  logger?: Logger;
} {
  return {
    endpoints: conn.endpoints,
    ...(conn.credentials === undefined ? {} : { credentials: conn.credentials }),
    ...(conn.namespace === undefined ? {} : { namespace: conn.namespace }),
    ...(conn.tls === undefined ? {} : { tls: conn.tls }),
    ...(conn.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: conn.requestTimeoutMs }),
    ...(conn.logger === undefined ? {} : { logger: conn.logger }),
  };
}

/** A usage problem (exit code 2). */
export function usageError(message: string): RocketMQError {
  return new RocketMQError(message, 'INVALID_ARGUMENT');
}

const TRUTHY = new Set(['1', 'true', 'yes', 'on']);

/**
 * Resolves the connection: flags first, then the environment.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` when no endpoint is given, or only one of the key pair.
 */
export function resolveConnection(values: ConnectionValues, io: CliIo): Connection {
  const env = io.env;
  const endpoints = (values.endpoint ?? env.ROCKETMQ_ENDPOINT ?? '').trim();
  if (endpoints === '') {
    throw usageError('no endpoint: pass --endpoint host:port or set ROCKETMQ_ENDPOINT');
  }
  const accessKey = values['access-key'] ?? env.ROCKETMQ_ACCESS_KEY ?? '';
  const secretKey = values['secret-key'] ?? env.ROCKETMQ_SECRET_KEY ?? '';
  if ((accessKey === '') !== (secretKey === '')) {
    throw usageError(
      accessKey === ''
        ? 'a secret key was given without an access key: pass --access-key or set ROCKETMQ_ACCESS_KEY'
        : 'an access key was given without a secret key: pass --secret-key or set ROCKETMQ_SECRET_KEY',
    );
  }
  const namespace = values.namespace ?? env.ROCKETMQ_NAMESPACE;
  const tls = values.tls === true || TRUTHY.has((env.ROCKETMQ_TLS ?? '').toLowerCase());
  const requestTimeout = values['request-timeout'];
  return {
    endpoints,
    authenticated: accessKey !== '',
    ...(accessKey === '' ? {} : { credentials: staticCredentials(accessKey, secretKey) }),
    ...(namespace === undefined || namespace === '' ? {} : { namespace }),
    ...(tls ? { tls: true } : {}),
    ...(requestTimeout === undefined
      ? {}
      : { requestTimeoutMs: parseDuration(requestTimeout, '--request-timeout') }),
    ...(values.verbose === true ? { logger: stderrLogger(io) } : {}),
  };
}

/** A debug-level logger writing `level msg {fields}` lines to the CLI's stderr. */
export function stderrLogger(io: CliIo): Logger {
  const line =
    (level: string) =>
    (msg: unknown, fields?: unknown): void => {
      const suffix =
        fields === undefined
          ? ''
          : ` ${inspect(fields, { breakLength: Number.POSITIVE_INFINITY, depth: 4 })}`;
      io.stderr.write(`[${level}] ${String(msg)}${suffix}\n`);
    };
  return consoleLogger(
    { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') },
    { level: 'debug' },
  );
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/i;
const DURATION_UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration into milliseconds: `250ms`, `10s`, `1.5m`, `2h`; a bare number is seconds.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` naming `option`.
 */
export function parseDuration(text: string, option: string, { allowZero = false } = {}): number {
  const m = DURATION.exec(text.trim());
  const ms = m === null ? Number.NaN : Number(m[1]) * DURATION_UNIT_MS[(m[2] ?? 's').toLowerCase()]!;
  if (!Number.isFinite(ms) || ms < 0 || (ms === 0 && !allowZero)) {
    throw usageError(`${option} must be a duration such as 500ms, 10s or 2m, got "${text}"`);
  }
  return Math.round(ms);
}

const SIZE = /^(\d+)\s*(b|k|kb|kib|m|mb|mib)?$/i;

/**
 * Parses a size in bytes: `512`, `4k` (4096), `1m` (1 MiB).
 *
 * @throws RocketMQError `INVALID_ARGUMENT` naming `option`.
 */
export function parseSize(text: string, option: string): number {
  const m = SIZE.exec(text.trim());
  const unit = (m?.[2] ?? 'b').toLowerCase();
  const factor = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1;
  const bytes = m === null ? Number.NaN : Number(m[1]) * factor;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw usageError(`${option} must be a size such as 512, 4k or 1m, got "${text}"`);
  }
  return bytes;
}

/**
 * Parses a positive integer.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` naming `option`.
 */
export function parseCount(text: string, option: string, { min = 1, max = 1_000_000_000 } = {}): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw usageError(`${option} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return n;
}

/** Splits repeated and comma-separated values (`--keys a,b --keys c` → a, b, c). */
export function splitList(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/**
 * Exactly one positional argument, named `what` in the error.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` when missing or when there are extra arguments.
 */
export function positional(positionals: readonly string[], index: number, what: string): string {
  const value = positionals[index];
  if (value === undefined || value === '') throw usageError(`missing ${what}`);
  return value;
}
