/**
 * What a CLI command may touch of the outside world: two output streams, the environment, files to
 * read, a stop signal and timers. `nodeIo()` wires the real process; tests pass their own.
 *
 * @packageDocumentation
 */

import { readFile } from 'node:fs/promises';

/** A text sink (process.stdout/stderr or a test buffer). */
export interface TextOut {
  write(text: string): void;
  /** True when the sink is an interactive terminal (progress lines are redrawn in place). */
  readonly isTTY?: boolean | undefined;
}

/** Timer functions used by the CLI (progress, --wait); injectable for tests. */
export interface CliTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** The environment of one CLI run. */
export interface CliIo {
  readonly stdout: TextOut;
  readonly stderr: TextOut;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads a file (`-` means standard input). */
  readFile(path: string): Promise<Buffer>;
  /** Aborted when the user interrupts (Ctrl-C): commands stop gracefully and exit 130. */
  readonly signal: AbortSignal;
  /** Monotonic milliseconds. */
  now(): number;
  readonly timers: CliTimers;
}

/** Unref'd global timers: the CLI never stays alive for a timer alone. */
export const systemCliTimers: CliTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The real process: stdout/stderr, `process.env`, the file system, performance.now(). */
export function nodeIo(signal: AbortSignal): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    readFile: (path) => (path === '-' ? readStdin() : readFile(path)),
    signal,
    now: () => performance.now(),
    timers: systemCliTimers,
  };
}
