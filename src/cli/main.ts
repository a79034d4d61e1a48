#!/usr/bin/env node
/**
 * The `rocketmq-ts` executable (package.json `bin`). Ctrl-C (SIGINT) or SIGTERM stops the running
 * command gracefully (clients are shut down) and exits 130; a second Ctrl-C exits at once.
 *
 * @packageDocumentation
 */

import { nodeIo } from './io.js';
import { runCli } from './run.js';

/** How long the process may take to exit on its own after the command finished. */
const EXIT_GRACE_MS = 2_000;

const interrupt = new AbortController();
const onSignal = (): void => {
  if (interrupt.signal.aborted) process.exit(130);
  interrupt.abort(new Error('interrupted'));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

// The clients unref their timers and channels; this keeps the process alive while the command runs
// (e.g. while a connection attempt backs off), so it never exits with a promise still pending.
const keepAlive = setInterval(() => {}, 1 << 30);

runCli(process.argv.slice(2), nodeIo(interrupt.signal)).then(
  (code) => {
    clearInterval(keepAlive);
    process.exitCode = code;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // Normally nothing is left and the process exits now; never hang on a straggling handle.
    setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  },
  (err: unknown) => {
    process.stderr.write(
      `internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(70);
  },
);
