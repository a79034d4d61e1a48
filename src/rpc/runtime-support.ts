/**
 * What the client needs from the JavaScript runtime, checked when a client starts, so a runtime that
 * lacks a piece fails with one typed error naming it (`RUNTIME_UNSUPPORTED`) instead of a `TypeError`
 * deep inside the first call.
 *
 * - `node:http2` `connect`: the gRPC transport is HTTP/2 (`@grpc/grpc-js` uses it);
 * - `AbortController` and `AbortSignal.timeout`: every call's cancellation and deadline;
 * - `WeakRef` and `FinalizationRegistry`: combined abort signals release their listeners when collected;
 * - `TextEncoder` / `TextDecoder`: message bodies and properties.
 *
 * Node.js ≥ 20, Bun and Deno have all of them (see the README's Runtimes table).
 */
import http2 from 'node:http2';
import { RocketMQError } from '../errors.js';

/** The pieces of the runtime the check looks at (the real ones by default; tests pass others). */
export interface RuntimeFeatures {
  readonly http2: { readonly connect?: unknown } | undefined;
  readonly globals: Readonly<Record<string, unknown>>;
}

function currentRuntime(): RuntimeFeatures {
  return { http2, globals: globalThis as unknown as Record<string, unknown> };
}

/** The names of the features `runtime` lacks (empty when it has them all). */
export function missingRuntimeFeatures(runtime: RuntimeFeatures = currentRuntime()): string[] {
  const g = runtime.globals;
  const missing: string[] = [];
  if (typeof runtime.http2?.connect !== 'function') missing.push('node:http2 connect (an HTTP/2 client)');
  if (typeof g.AbortController !== 'function') missing.push('AbortController');
  const signal = g.AbortSignal as { timeout?: unknown } | undefined;
  if (typeof signal?.timeout !== 'function') missing.push('AbortSignal.timeout');
  for (const name of ['WeakRef', 'FinalizationRegistry', 'TextEncoder', 'TextDecoder']) {
    if (typeof g[name] !== 'function') missing.push(name);
  }
  return missing;
}

/** `RUNTIME_UNSUPPORTED` naming every missing feature, or `undefined` when nothing is missing. */
export function runtimeSupportError(runtime: RuntimeFeatures = currentRuntime()): RocketMQError | undefined {
  const missing = missingRuntimeFeatures(runtime);
  if (missing.length === 0) return undefined;
  return new RocketMQError(
    `This JavaScript runtime lacks what the RocketMQ client needs: ${missing.join(', ')}`,
    'RUNTIME_UNSUPPORTED',
  );
}
