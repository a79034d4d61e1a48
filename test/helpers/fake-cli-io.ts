/**
 * A CliIo for tests: captured output, a given environment, a hand-driven clock and timers that fire
 * only when the test says so.
 */
import type { CliIo, CliTimers } from '../../src/cli/io.js';

export interface FakeTimers extends CliTimers {
  /** Pending timeouts and intervals. */
  readonly pending: number;
  /** Runs every pending interval once. */
  tickIntervals(): void;
  /** Runs every pending timeout. */
  fireTimeouts(): void;
}

export function fakeTimers(): FakeTimers {
  let id = 0;
  const timeouts = new Map<number, () => void>();
  const intervals = new Map<number, () => void>();
  return {
    setTimeout: (fn) => {
      timeouts.set(++id, fn);
      return id;
    },
    clearTimeout: (h) => {
      timeouts.delete(h as number);
    },
    setInterval: (fn) => {
      intervals.set(++id, fn);
      return id;
    },
    clearInterval: (h) => {
      intervals.delete(h as number);
    },
    get pending() {
      return timeouts.size + intervals.size;
    },
    tickIntervals: () => {
      for (const fn of [...intervals.values()]) fn();
    },
    fireTimeouts: () => {
      const due = [...timeouts.entries()];
      timeouts.clear();
      for (const [, fn] of due) fn();
    },
  };
}

export interface FakeIo extends CliIo {
  readonly out: string[];
  readonly err: string[];
  readonly timers: FakeTimers;
  /** Moves the fake clock. */
  advance(ms: number): void;
  /** Simulates Ctrl-C. */
  interrupt(): void;
  /** Resolves when everything written to stdout (`'out'`) or stderr (`'err'`) so far matches `re`. */
  waitFor(stream: 'out' | 'err', re: RegExp): Promise<void>;
}

export function fakeIo(
  env: Record<string, string | undefined> = {},
  files: Record<string, string> = {},
): FakeIo {
  const out: string[] = [];
  const err: string[] = [];
  const interrupt = new AbortController();
  let now = 0;
  const waiters = new Set<() => void>();
  const write = (sink: string[]) => (text: string) => {
    sink.push(text);
    for (const check of [...waiters]) check();
  };
  return {
    out,
    err,
    stdout: { write: write(out) },
    stderr: { write: write(err) },
    env,
    readFile: async (path) => {
      const content = files[path];
      if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return Buffer.from(content);
    },
    signal: interrupt.signal,
    now: () => now,
    timers: fakeTimers(),
    advance: (ms) => {
      now += ms;
    },
    interrupt: () => interrupt.abort(new Error('interrupted')),
    waitFor: (stream, re) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (!re.test((stream === 'out' ? out : err).join(''))) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
  };
}
