/**
 * Child processes of the benchmark runner (the fake broker and the workers), pinned to a core with
 * `taskset` when available. Every child is tracked and killed by {@link killAll} — on normal exit,
 * failure and SIGINT/SIGTERM alike.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');

const live = new Set<ChildProcess>();

let tasksetAvailable: boolean | undefined;

/** True when `taskset` exists and there are at least two cores to pin to. */
export function canPin(): boolean {
  tasksetAvailable ??= spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  return tasksetAvailable;
}

/** Spawns `node --import tsx <args>` (pinned to `core` if possible) with an IPC channel. */
export function spawnNode(nodeArgs: readonly string[], core: number | undefined): ChildProcess {
  const pin = core !== undefined && canPin();
  const command = pin ? 'taskset' : process.execPath;
  const args = [...(pin ? ['-c', String(core), process.execPath] : []), '--import', 'tsx', ...nodeArgs];
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Kills every live child (SIGKILL after `graceMs`). */
export async function killAll(graceMs = 2_000): Promise<void> {
  const children = [...live];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          timer.unref();
          child.once('exit', () => {
            clearTimeout(timer);
            done();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

/** Resolves with the first IPC message matching `accept`, rejects on exit or timeout. */
export function waitForMessage<T>(
  child: ChildProcess,
  accept: (msg: unknown) => msg is T,
  timeoutMs: number,
): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => finish(new Error(`no message within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
    const onMessage = (msg: unknown): void => {
      if (accept(msg)) finish(undefined, msg);
    };
    const onExit = (code: number | null, signal: string | null): void =>
      finish(new Error(`child exited (code ${code}, signal ${signal}) before answering`));
    function finish(err: Error | undefined, value?: T): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err === undefined) resolvePromise(value as T);
      else reject(err);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
