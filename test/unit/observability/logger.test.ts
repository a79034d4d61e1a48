import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type ConsoleLike,
  childLogger,
  consoleLogger,
  debugLogger,
  type LogFields,
  type Logger,
  noopLogger,
  type PinoLike,
  pinoLikeLogger,
  redact,
  safeLogger,
} from '../../../src/observability/logger.js';

type Line = { level: string; args: unknown[] };

function recordingConsole(): { target: ConsoleLike; lines: Line[] } {
  const lines: Line[] = [];
  const rec =
    (level: string) =>
    (...args: unknown[]) =>
      lines.push({ level, args });
  return {
    target: { debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') },
    lines,
  };
}

function recordingLogger(): { logger: Logger; calls: Array<[string, string, LogFields | undefined]> } {
  const calls: Array<[string, string, LogFields | undefined]> = [];
  const rec = (level: string) => (msg: string, fields?: LogFields) => calls.push([level, msg, fields]);
  return {
    logger: { debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') },
    calls,
  };
}

describe('redact', () => {
  test('replaces secret keys at any depth, case and separator insensitive', () => {
    const input = {
      accessKey: 'AK',
      accessSecret: 's1',
      SecretKey: 's2',
      security_token: 's3',
      nested: { headers: { Authorization: 'MQv2-HMAC-SHA1 ...', 'x-mq-session-token': 't' } },
      list: [{ password: 'p' }, 'plain'],
      topic: 'orders',
    };
    const out = redact(input);
    assert.deepEqual(out, {
      accessKey: 'AK',
      accessSecret: '[REDACTED]',
      SecretKey: '[REDACTED]',
      security_token: '[REDACTED]',
      nested: { headers: { Authorization: '[REDACTED]', 'x-mq-session-token': '[REDACTED]' } },
      list: [{ password: '[REDACTED]' }, 'plain'],
      topic: 'orders',
    });
    assert.equal(input.accessSecret, 's1', 'input untouched');
  });

  test('leaves errors and class instances alone and survives cycles', () => {
    const err = new Error('x');
    const cyclic: Record<string, unknown> = { name: 'c' };
    cyclic.self = cyclic;
    const out = redact({ err, cyclic });
    assert.equal(out.err, err);
    assert.equal((out.cyclic as Record<string, unknown>).name, 'c');
  });
});

describe('noopLogger', () => {
  test('accepts calls and returns itself as child', () => {
    noopLogger.info('x', { a: 1 });
    assert.equal(noopLogger.child?.({ a: 1 }), noopLogger);
  });
});

describe('childLogger', () => {
  test('wraps a base without child(), merging bindings under per-call fields', () => {
    const { logger, calls } = recordingLogger();
    const child = childLogger(logger, { clientId: 'c1', topic: 't' });
    child.info('sent', { topic: 'override', msgId: 'm' });
    child.warn('bare');
    child.child!({ group: 'g' }).error('deep');
    assert.deepEqual(calls, [
      ['info', 'sent', { clientId: 'c1', topic: 'override', msgId: 'm' }],
      ['warn', 'bare', { clientId: 'c1', topic: 't' }],
      ['error', 'deep', { clientId: 'c1', topic: 't', group: 'g' }],
    ]);
  });

  test('uses the base child() when present', () => {
    const marker: Logger = { ...noopLogger };
    let got: LogFields | undefined;
    const base: Logger = {
      ...noopLogger,
      child: (b) => {
        got = b;
        return marker;
      },
    };
    assert.equal(childLogger(base, { a: 1 }), marker);
    assert.deepEqual(got, { a: 1 });
  });
});

describe('safeLogger', () => {
  test('swallows exceptions thrown by the wrapped logger', () => {
    const broken: Logger = {
      debug: () => {
        throw new Error('x');
      },
      info: () => {
        throw new Error('x');
      },
      warn: () => {
        throw new Error('x');
      },
      error: () => {
        throw new Error('x');
      },
    };
    const safe = safeLogger(broken);
    safe.debug('a');
    safe.info('a');
    safe.warn('a');
    safe.error('a');
    safe.child!({ a: 1 }).info('b');
  });
});

describe('consoleLogger', () => {
  test('writes (msg, redacted fields) at or above the level', () => {
    const { target, lines } = recordingConsole();
    const logger = consoleLogger(target, { level: 'info', bindings: { clientId: 'c' } });
    logger.debug('hidden');
    logger.info('hello', { accessSecret: 'nope', n: 1 });
    logger.error('bad');
    assert.deepEqual(lines, [
      { level: 'info', args: ['hello', { clientId: 'c', accessSecret: '[REDACTED]', n: 1 }] },
      { level: 'error', args: ['bad', { clientId: 'c' }] },
    ]);
  });

  test('defaults to info and omits an empty fields object; child adds bindings', () => {
    const { target, lines } = recordingConsole();
    const logger = consoleLogger(target);
    logger.debug('no');
    logger.warn('plain');
    logger.child!({ g: 1 }).info('kid');
    assert.deepEqual(lines, [
      { level: 'warn', args: ['plain'] },
      { level: 'info', args: ['kid', { g: 1 }] },
    ]);
  });
});

describe('pinoLikeLogger', () => {
  test('calls pino with (obj, msg), redacting, and uses pino.child', () => {
    const calls: Array<[string, object, string | undefined]> = [];
    const make = (bindings: object): PinoLike => {
      const rec = (level: string) => (obj: object, msg?: string) =>
        calls.push([level, { ...bindings, ...obj }, msg]);
      return {
        debug: rec('debug'),
        info: rec('info'),
        warn: rec('warn'),
        error: rec('error'),
        child: (b) => make({ ...bindings, ...b }),
      };
    };
    const logger = pinoLikeLogger(make({}));
    logger.info('connected', { endpoint: 'e', securityToken: 'tok' });
    logger.debug('nofields');
    logger.child!({ clientId: 'c', authorization: 'sig' }).warn('from child');
    assert.deepEqual(calls, [
      ['info', { endpoint: 'e', securityToken: '[REDACTED]' }, 'connected'],
      ['debug', {}, 'nofields'],
      ['warn', { clientId: 'c', authorization: '[REDACTED]' }, 'from child'],
    ]);
  });

  test('falls back to wrapping when pino has no child()', () => {
    const calls: Array<[object, string | undefined]> = [];
    const rec = (obj: object, msg?: string) => calls.push([obj, msg]);
    const logger = pinoLikeLogger({ debug: rec, info: rec, warn: rec, error: rec });
    logger.child!({ a: 1 }).error('x', { b: 2 });
    assert.deepEqual(calls, [[{ a: 1, b: 2 }, 'x']]);
  });
});

describe('debugLogger', () => {
  test('writes one formatted, redacted line per call when the section is enabled', () => {
    const out: string[] = [];
    const section = Object.assign(
      (fmt: string, ...args: unknown[]) => out.push([fmt, ...args.map(String)].join('|')),
      { enabled: true },
    );
    const logger = debugLogger({ clientId: 'c' }, section);
    logger.warn('retrying', { attempt: 2, accessSecret: 'x' });
    logger.child!({ topic: 't' }).debug('%s stays literal');
    assert.equal(out.length, 2);
    assert.match(out[0]!, /WARN\|retrying\| \{ clientId: 'c', attempt: 2, accessSecret: '\[REDACTED\]' \}/);
    assert.match(out[1]!, /^%s %s%s\|DEBUG\|%s stays literal\|/);
  });

  test('does nothing when the section is disabled', () => {
    let calls = 0;
    const section = Object.assign(() => calls++, { enabled: false });
    debugLogger({}, section).error('x', { a: 1 });
    assert.equal(calls, 0);
  });

  test('defaults to the NODE_DEBUG=rocketmq section without throwing', () => {
    debugLogger().info('silent unless NODE_DEBUG=rocketmq');
  });
});

describe('debugLogger under NODE_DEBUG', () => {
  test('NODE_DEBUG=rocketmq routes lines to stderr; without it nothing is written', async () => {
    const { spawnSync } = await import('node:child_process');
    const moduleUrl = new URL('../../../src/observability/logger.ts', import.meta.url).href;
    const script = `const m = await import(${JSON.stringify(moduleUrl)}); m.debugLogger({ clientId: 'c9' }).info('hello-debug', { securityToken: 'tok' });`;
    const run = (env: NodeJS.ProcessEnv) =>
      spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        env: { ...process.env, ...env },
        encoding: 'utf8',
      });
    const on = run({ NODE_DEBUG: 'rocketmq' });
    assert.equal(on.status, 0, on.stderr);
    assert.match(
      on.stderr,
      /ROCKETMQ \d+: INFO hello-debug \{ clientId: 'c9', securityToken: '\[REDACTED\]' \}/,
    );
    assert.doesNotMatch(on.stderr, /tok'/);
    const off = run({ NODE_DEBUG: '' });
    assert.equal(off.status, 0, off.stderr);
    assert.doesNotMatch(off.stderr, /hello-debug/);
  });
});
