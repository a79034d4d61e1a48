/**
 * Test-time TLS material made with the `openssl` CLI: a CA, a server certificate for `localhost` /
 * 127.0.0.1 signed by it, and an unrelated second CA (the "wrong CA"). Nothing is checked in; every
 * call makes fresh keys in a temporary directory that is deleted before it returns.
 *
 * Without `openssl` the TLS tests are skipped with that reason, except under `CI=true` (`.ci/run`
 * installs it): there they run and fail on the missing tool.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipOptionOutsideCi } from './ci.js';

export interface TestCerts {
  /** PEM of the CA that signed the server certificate. */
  readonly ca: string;
  /** PEM of a CA that signed nothing we serve. */
  readonly otherCa: string;
  /** Server key and certificate (CN and SAN `localhost`, SAN IP 127.0.0.1). */
  readonly key: string;
  readonly cert: string;
}

/** True when the `openssl` CLI can be run. */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The `skip` option of a TLS test: the reason outside CI when openssl is missing, else `false`. */
export function opensslSkip(): string | false {
  return skipOptionOutsideCi(!hasOpenssl() && 'the openssl CLI is not installed');
}

function openssl(cwd: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('the openssl CLI is not installed: the TLS tests need it (.ci/run installs it)');
    }
    throw e;
  }
}

function makeCa(cwd: string, name: string): void {
  openssl(cwd, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
  ]);
}

/** Generates the certificates (≈ 0.2–0.5 s). */
export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'rocketmq-ts-tls-'));
  try {
    makeCa(dir, 'ca');
    makeCa(dir, 'other-ca');
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    openssl(dir, [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
    ]);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'san.ext',
      '-out',
      'server.pem',
    ]);
    const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
    return {
      ca: read('ca.pem'),
      otherCa: read('other-ca.pem'),
      key: read('server.key'),
      cert: read('server.pem'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
