/** Folds the runs of each (target, scenario, variant, client) into one row of medians. */
import type { ClientName } from '../adapters/types.js';
import type { RunResult, ScenarioName, Target } from '../lib/spec.js';
import { median } from '../lib/stats.js';

export interface Row {
  readonly target: Target;
  readonly scenario: ScenarioName;
  readonly variant: string;
  readonly client: ClientName;
  /** Runs attempted / succeeded. */
  readonly runs: number;
  readonly ok: number;
  readonly msgsPerSec?: number | undefined;
  readonly p50Ms?: number | undefined;
  readonly p99Ms?: number | undefined;
  readonly cpuUsPerMsg?: number | undefined;
  readonly rssMiB?: number | undefined;
  readonly heapMiB?: number | undefined;
  readonly fakeBusy?: number | undefined;
  readonly extra: Readonly<Record<string, number>>;
  readonly gap?: string | undefined;
  readonly errors: readonly string[];
}

export const rowKey = (r: Pick<Row, 'target' | 'scenario' | 'variant' | 'client'>): string =>
  `${r.target}|${r.scenario}|${r.variant}|${r.client}`;

const med = (
  results: readonly RunResult[],
  pick: (r: RunResult) => number | undefined,
): number | undefined => {
  const m = median(results.map(pick));
  return Number.isFinite(m) ? m : undefined;
};

export function aggregate(results: readonly RunResult[]): Row[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of results) {
    const key = rowKey(r);
    const list = groups.get(key) ?? [];
    list.push(r);
    groups.set(key, list);
  }
  const rows: Row[] = [];
  for (const list of groups.values()) {
    const first = list[0]!;
    const good = list.filter((r) => r.ok);
    const extraKeys = new Set(good.flatMap((r) => Object.keys(r.extra ?? {})));
    const extra: Record<string, number> = {};
    for (const k of extraKeys) {
      const m = med(good, (r) => r.extra?.[k]);
      if (m !== undefined) extra[k] = m;
    }
    rows.push({
      target: first.target,
      scenario: first.scenario,
      variant: first.variant,
      client: first.client,
      runs: list.length,
      ok: good.length,
      msgsPerSec: med(good, (r) => r.msgsPerSec),
      p50Ms: med(good, (r) => r.p50Ms),
      p99Ms: med(good, (r) => r.p99Ms),
      cpuUsPerMsg: med(good, (r) => r.cpuUsPerMsg),
      rssMiB: med(good, (r) => r.rssMiB),
      heapMiB: med(good, (r) => r.heapMiB),
      fakeBusy: med(good, (r) => r.fakeBusy),
      extra,
      gap: list.find((r) => r.gap !== undefined)?.gap,
      errors: [...new Set(list.flatMap((r) => (r.error === undefined ? [] : [r.error.split('\n')[0]!])))],
    });
  }
  return rows;
}

/** Finds one row. */
export function findRow(
  rows: readonly Row[],
  target: Target,
  scenario: ScenarioName,
  variant: string,
  client: ClientName,
): Row | undefined {
  return rows.find(
    (r) => r.target === target && r.scenario === scenario && r.variant === variant && r.client === client,
  );
}

/** `a / b` when both are finite and b > 0. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b <= 0)
    return undefined;
  return a / b;
}
