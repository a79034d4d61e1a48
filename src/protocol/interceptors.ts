/**
 * Interceptors: user hooks around the client's operations (the Java client's `MessageInterceptor`
 * under another shape).
 *
 * | point | when | `messages` | outcome extras |
 * | --- | --- | --- | --- |
 * | `send` | each `send` / `sendBatch` / transactional send, around all its attempts | the `MessageInit`s | `receipts` |
 * | `receive` | each ReceiveMessage of a push consumer | none before, the received views after | |
 * | `consume` | each listener call (a FIFO local retry is another call) | the view | `result` |
 * | `ack` | each message acknowledged (acks go out batched; the hook is per message) | the view | |
 * | `change-invisible-duration` | a nack (retry later) or a release (hand back) | the view | |
 * | `forward-to-dlq` | a FIFO message forwarded to the dead-letter queue | the view | |
 * | `commit-transaction` / `rollback-transaction` | each end of a transaction | none; `receipts` in the context | |
 *
 * Each interceptor may have `before(context)` and `after(context, outcome)`; either may be sync or
 * return a promise (awaited before the next hook and before the operation goes on / its result is
 * returned). Hooks run in registration order. A hook that throws or rejects is logged (warn) and
 * skipped: it never changes the operation or its result. `context.attributes` is a map shared by the
 * `before` and `after` of one operation (e.g. to keep a span or a start time). With no interceptor
 * registered nothing extra runs.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import type { Clock } from '../internal/clock.js';
import type { MessageInit } from '../model/message.js';
import type { MessageView } from '../model/message-view.js';
import type { SendReceipt } from '../model/send-receipt.js';
import { describeType } from '../model/text.js';
import type { Logger } from '../observability/logger.js';

/** Where a hook runs (see the module documentation). */
export type HookPoint =
  | 'send'
  | 'receive'
  | 'consume'
  | 'ack'
  | 'change-invisible-duration'
  | 'forward-to-dlq'
  | 'commit-transaction'
  | 'rollback-transaction';

interface HookContextBase {
  /** The topic of the operation. */
  readonly topic: string;
  /** When the operation started (the client's clock, ms). */
  readonly startedAt: number;
  /** Shared by the `before` and `after` of one operation; starts empty. */
  readonly attributes: Map<string, unknown>;
}

/** What a hook sees of the operation. */
export type HookContext =
  | (HookContextBase & { readonly point: 'send'; readonly messages: readonly MessageInit[] })
  | (HookContextBase & {
      readonly point: 'receive' | 'consume' | 'ack' | 'change-invisible-duration' | 'forward-to-dlq';
      /** The messages (for `receive`: empty in `before`, the received ones in `after`). */
      readonly messages: readonly MessageView[];
    })
  | (HookContextBase & {
      readonly point: 'commit-transaction' | 'rollback-transaction';
      readonly messages: readonly [];
      /** The receipts of the transaction's half messages. */
      readonly receipts: readonly SendReceipt[];
    });

/** How the operation ended. */
export interface HookOutcome {
  /** `ok`, or `error` when it failed (for `consume`: the listener threw or answered a failure). */
  readonly status: 'ok' | 'error';
  /** From the `before` hooks' end to the operation's end, in ms. */
  readonly durationMs: number;
  /** The failure, when there was one (a listener that answered `'failure'` has none). */
  readonly error?: RocketMQError | undefined;
  /** `send`: one receipt per message. */
  readonly receipts?: readonly SendReceipt[] | undefined;
  /** `consume`: what the listener answered, after validation. */
  readonly result?: 'success' | 'failure' | undefined;
}

/** A user hook pair; both parts optional. */
export interface Interceptor {
  /** Shown in the log when a hook fails. */
  readonly name?: string | undefined;
  before?(context: HookContext): void | Promise<void>;
  after?(context: HookContext, outcome: HookOutcome): void | Promise<void>;
}

/**
 * Checks an `interceptors` option: an array of objects whose `before` / `after`, when present, are
 * functions.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` otherwise.
 */
export function validateInterceptors(value: unknown): readonly Interceptor[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new RocketMQError(`interceptors must be an array, got ${describeType(value)}`, 'INVALID_ARGUMENT');
  }
  value.forEach((i: unknown, n) => {
    if (typeof i !== 'object' || i === null) {
      throw new RocketMQError(
        `interceptors[${n}] must be an object, got ${describeType(i)}`,
        'INVALID_ARGUMENT',
      );
    }
    const hooks = i as Record<string, unknown>;
    for (const k of ['before', 'after'] as const) {
      if (hooks[k] !== undefined && typeof hooks[k] !== 'function') {
        throw new RocketMQError(
          `interceptors[${n}].${k} must be a function, got ${describeType(hooks[k])}`,
          'INVALID_ARGUMENT',
        );
      }
    }
    if (hooks.before === undefined && hooks.after === undefined) {
      throw new RocketMQError(`interceptors[${n}] has neither before nor after`, 'INVALID_ARGUMENT');
    }
  });
  return Object.freeze([...(value as Interceptor[])]);
}

/** Fields of a context the caller gives (the chain adds `startedAt` and `attributes`). */
export type HookStart =
  | { readonly point: 'send'; readonly topic: string; readonly messages: readonly MessageInit[] }
  | {
      readonly point: 'receive' | 'consume' | 'ack' | 'change-invisible-duration' | 'forward-to-dlq';
      readonly topic: string;
      readonly messages: readonly MessageView[];
    }
  | {
      readonly point: 'commit-transaction' | 'rollback-transaction';
      readonly topic: string;
      readonly receipts: readonly SendReceipt[];
    };

/** Outcome fields read from an operation's result. */
export type Describe<T> = (result: T) => {
  readonly status?: 'ok' | 'error';
  readonly receipts?: readonly SendReceipt[];
  readonly result?: 'success' | 'failure';
  readonly messages?: readonly MessageView[];
};

/** Runs the registered interceptors around operations. See the module documentation. */
export class InterceptorChain {
  readonly #list: readonly Interceptor[];
  readonly #logger: Logger;
  readonly #clock: Clock;

  constructor(list: readonly Interceptor[], logger: Logger, clock: Clock) {
    this.#list = list;
    this.#logger = logger;
    this.#clock = clock;
  }

  /** True when no interceptor is registered. */
  get empty(): boolean {
    return this.#list.length === 0;
  }

  /**
   * Runs `before` hooks, the operation, then `after` hooks with its outcome; returns (or throws)
   * exactly what the operation did.
   */
  async around<T>(start: HookStart, run: () => Promise<T>, describe?: Describe<T>): Promise<T> {
    if (this.#list.length === 0) return run();
    const context = {
      ...start,
      messages: 'messages' in start ? start.messages : [],
      startedAt: this.#clock.now(),
      attributes: new Map<string, unknown>(),
    } as { messages: readonly unknown[] } & HookContext;
    await this.#each('before', context, undefined);
    const t0 = this.#clock.monotonic();
    let result: T;
    try {
      result = await run();
    } catch (err) {
      const error = RocketMQError.from(err);
      await this.#each('after', context, {
        status: 'error',
        durationMs: this.#clock.monotonic() - t0,
        error,
      });
      throw err;
    }
    const d = describe?.(result) ?? {};
    if (d.messages !== undefined) context.messages = d.messages;
    await this.#each('after', context, {
      status: d.status ?? 'ok',
      durationMs: this.#clock.monotonic() - t0,
      ...(d.receipts === undefined ? {} : { receipts: d.receipts }),
      ...(d.result === undefined ? {} : { result: d.result }),
    });
    return result;
  }

  async #each(
    which: 'before' | 'after',
    context: HookContext,
    outcome: HookOutcome | undefined,
  ): Promise<void> {
    for (const i of this.#list) {
      const hook = i[which];
      if (hook === undefined) continue;
      try {
        const r =
          which === 'before' ? hook.call(i, context, undefined as never) : hook.call(i, context, outcome!);
        if (r !== undefined && typeof (r as Promise<void>).then === 'function') await r;
      } catch (err) {
        this.#logger.warn('an interceptor failed; ignored', {
          interceptor: i.name ?? '(unnamed)',
          hook: which,
          point: context.point,
          err: RocketMQError.from(err),
        });
      }
    }
  }
}
