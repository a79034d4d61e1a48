/**
 * Reads the fake broker's CPU counter over HTTP/2 (`/bench/stats`, not a gRPC method), so a worker can
 * tell how busy the fake was during its own measurement window.
 */
import http2 from 'node:http2';

export interface FakeSample {
  readonly cpuUs: number;
  readonly atMs: number;
}

/** One sample, or undefined when the endpoint is not the fake (e.g. the real broker). */
export function sampleFake(endpoint: string, timeoutMs = 2_000): Promise<FakeSample | undefined> {
  return new Promise((resolve) => {
    const session = http2.connect(`http://${endpoint}`);
    const done = (value: FakeSample | undefined): void => {
      clearTimeout(timer);
      session.close();
      session.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    timer.unref();
    session.on('error', () => done(undefined));
    const req = session.request({ ':path': '/bench/stats', ':method': 'GET' });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => done(undefined));
    req.on('end', () => {
      try {
        const s = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { cpuUs?: number };
        done(typeof s.cpuUs === 'number' ? { cpuUs: s.cpuUs, atMs: performance.now() } : undefined);
      } catch {
        done(undefined);
      }
    });
    req.end();
  });
}

/** Share of one core the fake used between two samples (0–1), or undefined. */
export function fakeBusy(a: FakeSample | undefined, b: FakeSample | undefined): number | undefined {
  if (a === undefined || b === undefined || b.atMs <= a.atMs) return undefined;
  return (b.cpuUs - a.cpuUs) / 1000 / (b.atMs - a.atMs);
}
