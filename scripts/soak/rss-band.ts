/**
 * The soak's RSS band: how far RSS strays from its median over the steady part of the sending phase,
 * and where that steady part starts.
 *
 * RSS of a Node process is mostly the V8 heap's committed size (`heapTotal`, not `heapUsed`), Buffers
 * (`external`) and malloc'd memory; V8 and malloc keep what the busiest moment needed. With faults the
 * busiest moment is the catch-up after the first outage (the backlog sent and consumed at several times
 * the steady rate), so RSS settles on a higher level after it without any object being kept (the soak's
 * diagnostics show heap after GC, grpc-js channels, subchannels, sockets and HTTP/2 sessions and the
 * library's own resources back at their baseline after every fault). The band is therefore measured
 * from the first sample taken one report interval after the first fault of each kind has ended; the
 * figure over every sample after the first is reported next to it.
 */

/** The part of a sample the band needs. */
export interface RssPoint {
  /** Seconds since the start of sending. */
  readonly t: number;
  readonly rssMiB: number;
}

/** The part of a fault event the warm-up needs. */
export interface FaultSpan {
  readonly kind: string;
  /** Seconds since the start of sending. */
  readonly at: number;
  readonly durationMs: number;
}

/** RSS figures over a set of samples, MiB, and the largest deviation from the median in %. */
export interface RssBand {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly maxDevPct: number;
  /** Samples counted. */
  readonly count: number;
  /** Time of the first sample counted (s). */
  readonly fromS: number;
}

/**
 * Seconds since the start of sending after which samples count for the band: without faults, after the
 * first sample (connection setup, JIT); with faults, one report interval after the first fault of each
 * kind has ended (its catch-up included).
 */
export function warmUpEndS(
  faults: readonly FaultSpan[],
  firstSampleS: number,
  reportEveryMs: number,
): number {
  if (faults.length === 0) return firstSampleS;
  let end = firstSampleS;
  const seen = new Set<string>();
  for (const f of faults) {
    if (seen.has(f.kind)) continue;
    seen.add(f.kind);
    end = Math.max(end, f.at + f.durationMs / 1000 + reportEveryMs / 1000);
  }
  return end;
}

const pct = (a: number, b: number) => Math.round(((b - a) / a) * 1000) / 10;

/** The band over the samples strictly after `afterS` (all of them when none is). */
export function rssBand(samples: readonly RssPoint[], afterS: number): RssBand {
  const counted = samples.filter((s) => s.t > afterS);
  const used = counted.length > 0 ? counted : samples;
  const sorted = used.map((s) => s.rssMiB).sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const min = sorted[0]!;
  const max = sorted[sorted.length - 1]!;
  return {
    min,
    median,
    max,
    maxDevPct: Math.max(Math.abs(pct(median, min)), Math.abs(pct(median, max))),
    count: used.length,
    fromS: used[0]!.t,
  };
}

/** RSS just before a fault and at the first sample one report interval after it ended. */
export interface FaultStep {
  readonly kind: string;
  readonly at: number;
  readonly beforeMiB: number | undefined;
  readonly afterMiB: number | undefined;
}

/** For each fault, the RSS of the last sample before it and of the first sample after its catch-up. */
export function faultSteps(
  samples: readonly RssPoint[],
  faults: readonly FaultSpan[],
  reportEveryMs: number,
): FaultStep[] {
  return faults.map((f) => {
    const before = samples.filter((s) => s.t <= f.at).at(-1);
    const settled = f.at + f.durationMs / 1000 + reportEveryMs / 1000;
    const after = samples.find((s) => s.t >= settled);
    return { kind: f.kind, at: f.at, beforeMiB: before?.rssMiB, afterMiB: after?.rssMiB };
  });
}
