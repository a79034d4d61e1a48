import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Context, type ContextManager, context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { TRACE_PROPERTY, traceProperties } from '../../../src/observability/tracing.js';

/** A minimal synchronous context manager (a stack), enough for `context.with`. */
class StackContextManager implements ContextManager {
  #stack: Context[] = [];
  active(): Context {
    return this.#stack.at(-1) ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    this.#stack.push(ctx);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.#stack.pop();
    }
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.#stack = [];
    return this;
  }
}

describe('trace properties (observability/tracing.ts)', () => {
  test('no OTel SDK and no seed: nothing', () => {
    assert.deepEqual(traceProperties(), {});
  });

  test('explicit seeds', () => {
    assert.deepEqual(traceProperties({ requestId: 'r1', traceId: 't1', spanId: 's1' }), {
      [TRACE_PROPERTY.requestId]: 'r1',
      [TRACE_PROPERTY.traceId]: 't1',
      [TRACE_PROPERTY.spanId]: 's1',
    });
  });

  test('the active span: traceparent, x-trace-id, x-span-id (seeds win)', () => {
    const manager = new StackContextManager();
    assert.ok(context.setGlobalContextManager(manager));
    try {
      const spanContext = {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceFlags: 1,
      };
      const ctx = trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext(spanContext));
      const props = context.with(ctx, () => traceProperties({ requestId: 'r2' }));
      assert.deepEqual(props, {
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        'x-trace-id': '0af7651916cd43dd8448eb211c80319c',
        'x-span-id': 'b7ad6b7169203331',
        'x-request-id': 'r2',
      });
      const seeded = context.with(ctx, () => traceProperties({ spanId: 'mine' }));
      assert.equal(seeded['x-span-id'], 'mine');
    } finally {
      context.disable();
    }
  });
});
