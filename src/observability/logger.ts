/**
 * Structured, injectable logging: messages plus a fields object, silent unless a logger is given.
 *
 * The library never writes to the console or to files on its own: the default logger is
 * {@link noopLogger}. Applications plug in a {@link Logger}, or one of the adapters here. Messages are
 * constant strings; variable data goes in the `fields` object. Adapters pass fields through
 * {@link redact} so credentials never reach a sink.
 *
 * @packageDocumentation
 */

import { debuglog, inspect } from 'node:util';

/** Structured data attached to a log line. */
export type LogFields = Record<string, unknown>;

/** Log levels, from most to least verbose. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVEL_RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * The logger the library writes to. `msg` is a constant string; variable data is in `fields`.
 * Implementations must not throw (the clients guard against it anyway).
 */
export interface Logger {
  /** Protocol detail: state changes, retries, channel and stream events. */
  debug(msg: string, fields?: LogFields): void;
  /** Lifecycle: started, stopped. */
  info(msg: string, fields?: LogFields): void;
  /** Something failed and was handled (a retry, a dropped stream, a listener error). */
  warn(msg: string, fields?: LogFields): void;
  /** Something failed and was not recovered. */
  error(msg: string, fields?: LogFields): void;
  /** Optional: a logger that adds `bindings` to every line (the library wraps the logger when absent). */
  child?(bindings: LogFields): Logger;
}

const noop = (): void => {};

/** Discards everything. The default, unless `NODE_DEBUG` names `rocketmq` (see {@link debugLogger}). */
export const noopLogger: Logger = Object.freeze({
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: (): Logger => noopLogger,
});

const REDACTED = '[REDACTED]';

/**
 * Keys (compared case-insensitively, ignoring `-` and `_`) whose values are replaced by `[REDACTED]`.
 */
const SECRET_KEYS: ReadonlySet<string> = new Set([
  'accesssecret',
  'accesskeysecret',
  'secretkey',
  'secret',
  'securitytoken',
  'sessiontoken',
  'xmqsessiontoken',
  'authorization',
  'password',
  'credentials',
]);

const MAX_REDACT_DEPTH = 6;

function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''));
}

/**
 * Returns a copy of `fields` with secret-looking keys (access secret, secret key, security/session token,
 * authorization, password, credentials) replaced by `[REDACTED]`, at any nesting depth within plain
 * objects and arrays. Errors, class instances and other values are passed through untouched.
 */
export function redact(fields: LogFields): LogFields {
  return redactValue(fields, 0, new WeakSet()) as LogFields;
}

function redactValue(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_REDACT_DEPTH || seen.has(value)) return value;
  if (Array.isArray(value)) {
    seen.add(value);
    return value.map((v) => redactValue(v, depth + 1, seen));
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  seen.add(value);
  const out: LogFields = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = isSecretKey(key) ? REDACTED : redactValue(v, depth + 1, seen);
  }
  return out;
}

/**
 * A logger that adds `bindings` to every line of `base`. Uses `base.child` when present, else wraps it.
 * Fields given per call win over bindings with the same key.
 */
export function childLogger(base: Logger, bindings: LogFields): Logger {
  if (typeof base.child === 'function') {
    try {
      return base.child(bindings);
    } catch {
      // Fall back to wrapping when a user-supplied child() fails.
    }
  }
  const merge = (fields?: LogFields): LogFields =>
    fields === undefined ? { ...bindings } : { ...bindings, ...fields };
  return {
    debug: (msg, fields) => base.debug(msg, merge(fields)),
    info: (msg, fields) => base.info(msg, merge(fields)),
    warn: (msg, fields) => base.warn(msg, merge(fields)),
    error: (msg, fields) => base.error(msg, merge(fields)),
    child: (more) => childLogger(base, { ...bindings, ...more }),
  };
}

/**
 * Wraps a user-supplied logger so that exceptions it throws are swallowed; a broken logger must never
 * break the client.
 */
export function safeLogger(base: Logger): Logger {
  const guard =
    (level: LogLevel) =>
    (msg: string, fields?: LogFields): void => {
      try {
        base[level](msg, fields);
      } catch {
        // Ignored on purpose.
      }
    };
  return {
    debug: guard('debug'),
    info: guard('info'),
    warn: guard('warn'),
    error: guard('error'),
    child: (bindings) => safeLogger(childLogger(base, bindings)),
  };
}

/** The subset of the `console` API used by {@link consoleLogger}. */
export interface ConsoleLike {
  /** Receives `(msg)` or `(msg, fields)` of debug lines. */
  debug(...args: unknown[]): void;
  /** Receives `(msg)` or `(msg, fields)` of info lines. */
  info(...args: unknown[]): void;
  /** Receives `(msg)` or `(msg, fields)` of warn lines. */
  warn(...args: unknown[]): void;
  /** Receives `(msg)` or `(msg, fields)` of error lines. */
  error(...args: unknown[]): void;
}

/** Options of {@link consoleLogger}. */
export interface ConsoleLoggerOptions {
  /**
   * Lowest level written.
   * @defaultValue `'info'`
   */
  level?: LogLevel;
  /** Fields added to every line. */
  bindings?: LogFields;
}

/**
 * Adapts a console-like object (pass the global `console`, or any object with the four methods).
 * Each line is written as `(msg, fields)` with fields redacted; lines below `level` are dropped.
 *
 * @example
 * ```ts
 * const logger = consoleLogger(console, { level: 'debug' });
 * ```
 */
export function consoleLogger(target: ConsoleLike, options: ConsoleLoggerOptions = {}): Logger {
  const minRank = LEVEL_RANK[options.level ?? 'info'];
  const bindings = options.bindings ?? {};
  const write =
    (level: LogLevel) =>
    (msg: string, fields?: LogFields): void => {
      if (LEVEL_RANK[level] < minRank) return;
      const all = redact({ ...bindings, ...fields });
      if (Object.keys(all).length === 0) target[level](msg);
      else target[level](msg, all);
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => consoleLogger(target, { ...options, bindings: { ...bindings, ...more } }),
  };
}

/** A pino-compatible logger: `(obj, msg)` argument order, optional `child`. */
export interface PinoLike {
  /** Receives the redacted fields as the merge object, then the message. */
  debug(obj: object, msg?: string): void;
  /** Receives the redacted fields as the merge object, then the message. */
  info(obj: object, msg?: string): void;
  /** Receives the redacted fields as the merge object, then the message. */
  warn(obj: object, msg?: string): void;
  /** Receives the redacted fields as the merge object, then the message. */
  error(obj: object, msg?: string): void;
  /** A logger that adds `bindings` to every line (pino's `child`). */
  child?(bindings: object): PinoLike;
}

/**
 * Adapts a pino (or pino-compatible) logger. Fields are redacted and passed as pino's merge object.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * const logger = pinoLikeLogger(pino({ level: 'info' }));
 * ```
 */
export function pinoLikeLogger(pino: PinoLike): Logger {
  const write =
    (level: LogLevel) =>
    (msg: string, fields?: LogFields): void => {
      pino[level](fields === undefined ? {} : redact(fields), msg);
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (bindings) =>
      typeof pino.child === 'function'
        ? pinoLikeLogger(pino.child(redact(bindings)))
        : childLogger(pinoLikeLogger(pino), bindings),
  };
}

/** The shape of a `util.debuglog` section function. */
type DebugSection = ((msg: string, ...args: unknown[]) => void) & { enabled?: boolean };

let rocketmqSection: DebugSection | undefined;

/**
 * A logger writing to `util.debuglog('rocketmq')`: silent unless the process runs with
 * `NODE_DEBUG=rocketmq`, in which case every level is written to stderr by Node.
 * The section is created on first use, not at import.
 *
 * @param section - injectable for tests; defaults to the `rocketmq` debuglog section.
 */
export function debugLogger(bindings: LogFields = {}, section?: DebugSection): Logger {
  const sink = (): DebugSection => {
    if (section !== undefined) return section;
    rocketmqSection ??= debuglog('rocketmq') as DebugSection;
    return rocketmqSection;
  };
  const write =
    (level: LogLevel) =>
    (msg: string, fields?: LogFields): void => {
      const fn = sink();
      if (fn.enabled === false) return;
      const all = redact({ ...bindings, ...fields });
      const suffix =
        Object.keys(all).length === 0
          ? ''
          : ` ${inspect(all, { breakLength: Number.POSITIVE_INFINITY, depth: 4 })}`;
      fn('%s %s%s', level.toUpperCase(), msg, suffix);
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => debugLogger({ ...bindings, ...more }, section),
  };
}

/**
 * The logger a client uses when none is injected: {@link debugLogger} when the process runs with
 * `NODE_DEBUG` naming the `rocketmq` section (e.g. `NODE_DEBUG=rocketmq` or `NODE_DEBUG=http,rocketmq`),
 * else {@link noopLogger}. Decided when called (at client construction), never at import.
 *
 * @param section - injectable for tests; defaults to the `rocketmq` debuglog section.
 */
export function defaultLogger(section?: DebugSection): Logger {
  if (section === undefined) rocketmqSection ??= debuglog('rocketmq') as DebugSection;
  const fn = section ?? rocketmqSection;
  return fn?.enabled === true ? debugLogger({}, section) : noopLogger;
}
