/** What every scenario gets: its spec, the client's adapter factory and helpers to build configs. */
import type { AdapterConfig, AdapterFactory, Role } from '../adapters/types.js';
import type { WindowResult } from '../lib/measure.js';
import type { RunResult, RunSpec } from '../lib/spec.js';
import { variantOf } from '../lib/spec.js';

export interface ScenarioContext {
  readonly spec: RunSpec;
  readonly factory: AdapterFactory;
}

export type Scenario = (ctx: ScenarioContext) => Promise<RunResult>;

/** The adapter config of `role` for a spec. */
export function configFor(
  spec: RunSpec,
  role: Role,
  extra: Partial<Pick<AdapterConfig, 'onMessage' | 'maxCachedMessages' | 'batching'>> = {},
): AdapterConfig {
  return {
    endpoint: spec.endpoint,
    role,
    topic: spec.topic,
    group: spec.group,
    awaitDurationMs: spec.awaitDurationMs,
    invisibleDurationMs: 60_000,
    ...extra,
  };
}

const MiB = 1024 * 1024;

/** A result from a measured window. */
export function fromWindow(spec: RunSpec, w: WindowResult, extra?: Record<string, number>): RunResult {
  const seconds = w.wallMs / 1000;
  const ok = w.msgs > 0;
  return {
    target: spec.target,
    client: spec.client,
    scenario: spec.scenario,
    variant: variantOf(spec),
    ok,
    ...(ok ? {} : { error: `no message completed in the window${w.lastError ? `: ${w.lastError}` : ''}` }),
    msgs: w.msgs,
    msgsPerSec: w.msgs / seconds,
    p50Ms: w.latencies.length > 0 ? w.latencies.percentile(50) : undefined,
    p99Ms: w.latencies.length > 0 ? w.latencies.percentile(99) : undefined,
    cpuUsPerMsg: w.msgs > 0 ? w.cpuUs / w.msgs : undefined,
    rssMiB: w.rssBytes / MiB,
    heapMiB: w.heapUsedBytes / MiB,
    errors: w.errors,
    fakeBusy: w.fakeBusy,
    ...(extra === undefined ? {} : { extra }),
  };
}
