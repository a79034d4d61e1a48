/**
 * Optional CPU profile of exactly one measurement window: with `BENCH_CPU_PROFILE=<file>` a worker
 * profiles its window through node:inspector (the same V8 profiler as `node --cpu-prof`, without the
 * start-up and shutdown noise) and writes a `.cpuprofile` that Chrome DevTools / speedscope open.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

export type StopProfile = () => Promise<void>;

/** Starts profiling when BENCH_CPU_PROFILE is set; the returned function stops and writes it. */
export async function startWindowProfile(): Promise<StopProfile | undefined> {
  const file = process.env.BENCH_CPU_PROFILE;
  if (file === undefined || file === '') return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}
