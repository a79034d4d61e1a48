/**
 * What the admin commands share: the name-server connection options, the `Admin` they open, and a
 * plain-text table.
 *
 * @packageDocumentation
 */

import type { ParseArgsConfig } from 'node:util';
import { Admin } from '../admin/index.js';
import type { CommandContext } from './command.js';
import type { CliIo } from './io.js';
import { parseDuration, usageError } from './options.js';

/** Options of every admin command. */
export const ADMIN_OPTIONS = {
  namesrv: { type: 'string', short: 'n' },
  'access-key': { type: 'string' },
  'secret-key': { type: 'string' },
  'request-timeout': { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export const ADMIN_HELP = `Connection (remoting, to the name server and brokers):
  -n, --namesrv <host:port>    name server(s), "h1:p1;h2:p2" [env ROCKETMQ_NAMESRV]
      --access-key <key>       ACL user [env ROCKETMQ_ACCESS_KEY]
      --secret-key <secret>    ACL password [env ROCKETMQ_SECRET_KEY]
      --request-timeout <dur>  bound of each request (default 10s)
      --json                   print JSON instead of a table
  -h, --help                   show this help`;

/** Opens an `Admin` from the options; the caller shuts it down. */
export async function openAdmin(ctx: CommandContext): Promise<Admin> {
  const { io, values, errorContext } = ctx;
  const env = io.env;
  const namesrv = (typeof values.namesrv === 'string' ? values.namesrv : (env.ROCKETMQ_NAMESRV ?? '')).trim();
  if (namesrv === '') throw usageError('no name server: pass --namesrv host:port or set ROCKETMQ_NAMESRV');
  const ak =
    (typeof values['access-key'] === 'string' ? values['access-key'] : env.ROCKETMQ_ACCESS_KEY) ?? '';
  const sk =
    (typeof values['secret-key'] === 'string' ? values['secret-key'] : env.ROCKETMQ_SECRET_KEY) ?? '';
  if ((ak === '') !== (sk === '')) throw usageError('give both --access-key and --secret-key, or neither');
  const timeout = values['request-timeout'];
  errorContext.endpoint = namesrv;
  errorContext.authenticated = ak !== '';
  const admin = new Admin({
    namesrv,
    ...(ak === '' ? {} : { credentials: { accessKey: ak, accessSecret: sk } }),
    ...(typeof timeout === 'string' ? { requestTimeoutMs: parseDuration(timeout, '--request-timeout') } : {}),
  });
  await admin.start({ signal: io.signal });
  return admin;
}

/** Runs `fn` with an open `Admin`, shutting it down afterwards. */
export async function withAdmin<T>(ctx: CommandContext, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = await openAdmin(ctx);
  try {
    return await fn(admin);
  } finally {
    await admin.shutdown({ timeoutMs: 2_000 });
  }
}

/** Left-aligned columns separated by two spaces, with a header row. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  const text = rows.map((r) => r.map((c) => (c === undefined || c === null ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...text.map(line)].join('\n')}\n`;
}

/** Prints `value` as JSON (Buffers as UTF-8 text) when `--json`, else `human()`. */
export function print(io: CliIo, json: boolean, value: unknown, human: () => string): void {
  if (json) {
    io.stdout.write(
      `${JSON.stringify(value, (_k, v: unknown) => (isBufferJson(v) ? Buffer.from(v.data).toString('utf8') : v), 2)}\n`,
    );
  } else io.stdout.write(human());
}

function isBufferJson(v: unknown): v is { type: 'Buffer'; data: number[] } {
  return typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'Buffer';
}

/** Parses a time: epoch ms, an ISO date, or a duration ago (`10m` = ten minutes before now). */
export function parseTime(text: string, option: string, nowMs: number): number {
  if (/^\d{10,}$/.test(text)) return Number(text);
  if (/^\d+(\.\d+)?(ms|s|m|h|d)$/.test(text)) {
    const days = /^(\d+(?:\.\d+)?)d$/.exec(text);
    return nowMs - (days ? Number(days[1]) * 86_400_000 : parseDuration(text, option));
  }
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw usageError(`${option}: "${text}" is not a time (epoch ms, ISO date, or 10m/2h/1d ago)`);
  return t;
}
