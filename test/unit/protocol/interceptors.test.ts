import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RocketMQError } from '../../../src/errors.js';
import { ManualClock } from '../../../src/internal/clock.js';
import type { Logger } from '../../../src/observability/logger.js';
import {
  type HookContext,
  type HookOutcome,
  type Interceptor,
  InterceptorChain,
  validateInterceptors,
} from '../../../src/protocol/interceptors.js';

function recordingLogger() {
  const warnings: Array<{ msg: string; fields?: Record<string, unknown> }> = [];
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (msg, fields) => warnings.push({ msg, ...(fields === undefined ? {} : { fields }) }),
    error: () => undefined,
  };
  return { logger, warnings };
}

const start = { point: 'send', topic: 't', messages: [{ topic: 't', body: 'x' }] } as const;

describe('InterceptorChain', () => {
  test('sync and async hooks run in registration order, before then the operation then after', async () => {
    const log: string[] = [];
    const list: Interceptor[] = [
      { before: () => void log.push('a.before'), after: () => void log.push('a.after') },
      {
        before: async () => {
          await new Promise((r) => setImmediate(r));
          log.push('b.before');
        },
        after: async () => {
          await new Promise((r) => setImmediate(r));
          log.push('b.after');
        },
      },
      { after: () => void log.push('c.after') },
    ];
    const chain = new InterceptorChain(
      validateInterceptors(list),
      recordingLogger().logger,
      new ManualClock(),
    );
    const r = await chain.around(start, async () => {
      log.push('op');
      return 42;
    });
    assert.equal(r, 42);
    assert.deepEqual(log, ['a.before', 'b.before', 'op', 'a.after', 'b.after', 'c.after']);
  });

  test('after sees the outcome: status, error, duration, described fields; attributes are shared', async () => {
    const seen: Array<{ ctx: HookContext; outcome: HookOutcome }> = [];
    const chain = new InterceptorChain(
      [
        {
          before: (ctx) => void ctx.attributes.set('mark', 1),
          after: (ctx, outcome) => void seen.push({ ctx, outcome }),
        },
      ],
      recordingLogger().logger,
      new ManualClock(5_000),
    );
    await chain.around(
      start,
      async () => 'r',
      () => ({ result: 'failure', status: 'error' }),
    );
    const failure = new RocketMQError('refused', 'FORBIDDEN');
    await assert.rejects(
      chain.around(start, () => Promise.reject(failure)),
      (e) => e === failure,
    );
    assert.equal(seen.length, 2);
    assert.equal(seen[0]!.ctx.attributes.get('mark'), 1);
    assert.equal(seen[0]!.ctx.startedAt, 5_000);
    assert.equal(seen[0]!.outcome.status, 'error');
    assert.equal(seen[0]!.outcome.result, 'failure');
    assert.ok(seen[0]!.outcome.durationMs >= 0);
    assert.equal(seen[1]!.outcome.status, 'error');
    assert.equal(seen[1]!.outcome.error?.code, 'FORBIDDEN');
  });

  test('durationMs is measured on the injected clock, for success and for failure', async () => {
    const clock = new ManualClock(0, 100);
    const durations: number[] = [];
    const chain = new InterceptorChain(
      [{ after: (_ctx, outcome) => void durations.push(outcome.durationMs) }],
      recordingLogger().logger,
      clock,
    );
    await chain.around(start, async () => {
      clock.advance(250);
      return 'r';
    });
    await assert.rejects(
      chain.around(start, async () => {
        clock.advance(40);
        throw new RocketMQError('refused', 'FORBIDDEN');
      }),
    );
    assert.deepEqual(durations, [250, 40]);
  });

  test('a throwing or rejecting hook is logged and never changes the operation or the other hooks', async () => {
    const { logger, warnings } = recordingLogger();
    let after = 0;
    const chain = new InterceptorChain(
      [
        {
          name: 'sync-thrower',
          before: () => {
            throw new Error('boom');
          },
        },
        { name: 'async-rejecter', after: () => Promise.reject(new Error('later boom')) },
        { after: () => void after++ },
      ],
      logger,
      new ManualClock(),
    );
    assert.equal(await chain.around(start, async () => 'ok'), 'ok');
    assert.equal(after, 1);
    assert.deepEqual(
      warnings.map((w) => [w.fields?.interceptor, w.fields?.hook]),
      [
        ['sync-thrower', 'before'],
        ['async-rejecter', 'after'],
      ],
    );
  });

  test('no interceptor: the operation runs alone', async () => {
    const chain = new InterceptorChain([], recordingLogger().logger, new ManualClock());
    assert.equal(chain.empty, true);
    assert.equal(await chain.around(start, async () => 7), 7);
  });
});

describe('validateInterceptors: bad input → INVALID_ARGUMENT', () => {
  const cases: Array<[string, unknown]> = [
    ['not an array', { before: () => undefined }],
    ['an entry that is a function', [() => undefined]],
    ['an entry that is null', [null]],
    ['before not a function', [{ before: 'x' }]],
    ['after not a function', [{ after: 42 }]],
    ['neither hook', [{ name: 'empty' }]],
  ];
  for (const [name, value] of cases) {
    test(name, () => {
      assert.throws(
        () => validateInterceptors(value),
        (e: unknown) => e instanceof RocketMQError && e.code === 'INVALID_ARGUMENT',
      );
    });
  }
  test('undefined → none', () => {
    assert.deepEqual(validateInterceptors(undefined), []);
  });
});
