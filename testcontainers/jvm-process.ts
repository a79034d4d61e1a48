/**
 * One JVM child process: spawned detached (its own process group, so `kill(-pid)` reaches it and
 * nothing else), stdout/stderr appended to a log file, plus a tiny `sh` watchdog that SIGKILLs
 * the group if this Node process dies without cleaning up (e.g. SIGKILL). Every live JVM is in a
 * registry that is killed synchronously on process exit and on SIGINT/SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';

export interface JvmSpec {
  name: string;
  classpath: string;
  mainClass: string;
  jvmArgs: string[];
  args: string[];
  env: Record<string, string>;
  cwd: string;
  logFile: string;
}

const live = new Set<JvmProcess>();
const tempDirs = new Set<string>();
let hooksInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // group already gone
  }
}

function cleanupSync(): void {
  for (const p of live) p.killSync();
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort at exit
    }
  }
  tempDirs.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', cleanupSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = () => {
      cleanupSync();
      process.removeListener(sig, handler);
      // Keep the default behaviour (terminate) unless someone else handles the signal.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

/** Registers a directory to delete at process exit (unless unregistered first). */
export function registerTempDir(dir: string): void {
  installHooks();
  tempDirs.add(dir);
}

export function unregisterTempDir(dir: string): void {
  tempDirs.delete(dir);
}

/** Last `maxLines` lines of a text file ('' when unreadable). */
export function tailFile(path: string, maxLines = 40): string {
  try {
    const lines = readFileSync(path, 'utf8').split('\n');
    return lines.slice(-maxLines - 1).join('\n');
  } catch {
    return '';
  }
}

export class JvmProcess {
  readonly pid: number;
  private readonly watchdog: ChildProcess | undefined;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    readonly spec: JvmSpec,
    child: ChildProcess,
  ) {
    if (child.pid === undefined) throw new Error(`failed to spawn ${spec.name}`);
    this.pid = child.pid;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        live.delete(this);
        this.watchdog?.kill('SIGKILL');
        resolve();
      });
    });
    child.unref();
    // Kills the JVM's group if this Node process disappears; exits by itself when the JVM does.
    const script = `while kill -0 ${this.pid} 2>/dev/null; do kill -0 ${process.pid} 2>/dev/null || { kill -KILL -${this.pid} 2>/dev/null; exit 0; }; sleep 1; done`;
    try {
      this.watchdog = spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' });
      this.watchdog.on('error', () => undefined);
      this.watchdog.unref();
    } catch {
      this.watchdog = undefined;
    }
    live.add(this);
  }

  static start(spec: JvmSpec): Promise<JvmProcess> {
    installHooks();
    const fd = openSync(spec.logFile, 'a');
    try {
      const child = spawn('java', [...spec.jvmArgs, '-cp', spec.classpath, spec.mainClass, ...spec.args], {
        cwd: spec.cwd,
        env: { ...process.env, ...spec.env },
        detached: true,
        stdio: ['ignore', fd, fd],
      });
      return new Promise((resolve, reject) => {
        child.once('error', (e) => reject(new Error(`cannot start ${spec.name} (java): ${e.message}`)));
        child.once('spawn', () => resolve(new JvmProcess(spec, child)));
      });
    } finally {
      closeSync(fd);
    }
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  /** e.g. "exit code 1" / "signal SIGKILL"; undefined while running. */
  get exitDescription(): string | undefined {
    if (!this.exitInfo) return undefined;
    return this.exitInfo.signal ? `signal ${this.exitInfo.signal}` : `exit code ${this.exitInfo.code}`;
  }

  /** Resolves when the process has exited (true) or after `timeoutMs` (false). */
  async waitExit(timeoutMs: number): Promise<boolean> {
    if (!this.alive) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.exited.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM the group, SIGKILL after `graceMs`; resolves once the JVM is gone. */
  async stop(graceMs: number): Promise<void> {
    if (!this.alive) return;
    killGroup(this.pid, 'SIGTERM');
    if (await this.waitExit(graceMs)) return;
    await this.kill();
  }

  /** SIGKILL the group; resolves once the JVM is gone. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    killGroup(this.pid, 'SIGKILL');
    if (!(await this.waitExit(10_000)))
      throw new Error(`${this.spec.name} (pid ${this.pid}) survived SIGKILL`);
  }

  /** Sends `signal` to the JVM's group (e.g. SIGSTOP / SIGCONT to freeze and thaw it). */
  signal(signal: NodeJS.Signals): void {
    if (this.alive) killGroup(this.pid, signal);
  }

  /** Resident set size of the JVM in bytes (from /proc; 0 when unavailable). */
  rssBytes(): number {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    } catch {
      return 0;
    }
  }

  killSync(): void {
    if (this.alive) killGroup(this.pid, 'SIGKILL');
    this.watchdog?.kill('SIGKILL');
  }

  logTail(maxLines = 40): string {
    return tailFile(this.spec.logFile, maxLines);
  }
}
