/**
 * Runs the `rocketmq-ts` executable (src/cli/main.ts through tsx) as a child process with a clean
 * environment: the parent's variables without ROCKETMQ_* (the test runner's broker) and NODE_DEBUG,
 * plus the ones a test gives.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('ROCKETMQ_') && k !== 'NODE_DEBUG') env[k] = v;
  }
  return { ...env, ...extra };
}

export interface SpawnOptions {
  env?: Record<string, string>;
  input?: string;
  /** Called with the child once its stderr matches `re`. */
  onStderr?: { re: RegExp; run: (child: ReturnType<typeof spawn>) => void };
}

export function cli(args: readonly string[], options: SpawnOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      env: cleanEnv(options.env ?? {}),
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let triggered = false;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (!triggered && options.onStderr?.re.test(stderr)) {
        triggered = true;
        options.onStderr.run(child);
      }
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export const show = (r: CliRun): string => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
