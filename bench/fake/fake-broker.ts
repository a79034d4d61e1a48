/**
 * A minimal fake MessagingService for benchmarks: a bare `node:http2` server speaking gRPC framing and
 * answering with pre-encoded bytes (`responses.ts`), so that it costs as little CPU as possible and the
 * client's own cost is what a benchmark measures. It keeps no state besides its caches: every receive
 * returns a full batch at once, every send/ack succeeds.
 *
 * Not the in-process broker of `src/testing` (which is correct, not cheap); nothing is shared with it.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { fromBinary } from '@bufbuild/protobuf';
import { ReceiveMessageRequestSchema } from '../../src/gen/apache/rocketmq/v2/service_pb.js';
import { countField, FrameReader } from './grpc-frames.js';
import { type FakeShape, FakeResponses } from './responses.js';

const SERVICE = '/apache.rocketmq.v2.MessagingService/';
const RESPONSE_HEADERS = { ':status': 200, 'content-type': 'application/grpc+proto' };
const OK_TRAILERS = { 'grpc-status': '0' };
/** Plain HTTP/2 path answering the fake's CPU counter as JSON (see bench/lib/fake-stats.ts). */
export const STATS_PATH = '/bench/stats';

/** Options of {@link startFakeBroker}. */
export interface FakeBrokerOptions {
  /** @defaultValue 0 (any free port) */
  port?: number;
  /** @defaultValue 8 */
  queues?: number;
  /** @defaultValue 1024 */
  bodySize?: number;
  /** @defaultValue 4096 */
  poolSize?: number;
}

/** Call counters and the process CPU time. */
export interface FakeBrokerStats {
  readonly calls: Record<string, number>;
  /** process.cpuUsage() of the fake's process, µs. */
  readonly cpuUs: number;
  /** Wall clock of the sample (performance.now(), ms). */
  readonly atMs: number;
}

/** A running fake. */
export interface FakeBroker {
  readonly port: number;
  readonly endpoint: string;
  stats(): FakeBrokerStats;
  close(): Promise<void>;
}

type Stream = http2.ServerHttp2Stream;

function reply(stream: Stream, ...chunks: Buffer[]): void {
  if (stream.destroyed || stream.closed) return;
  stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
  stream.once('wantTrailers', () => stream.sendTrailers(OK_TRAILERS));
  for (let i = 0; i < chunks.length - 1; i++) stream.write(chunks[i]);
  stream.end(chunks[chunks.length - 1]);
}

function fail(stream: Stream, code: number, message: string): void {
  if (stream.destroyed || stream.closed) return;
  stream.respond(
    { ...RESPONSE_HEADERS, 'grpc-status': String(code), 'grpc-message': message },
    { endStream: true },
  );
}

/** Reads a whole unary/server-streaming request, then calls `handle` with its message bytes. */
function readRequest(stream: Stream, handle: (message: Buffer) => void): void {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => {
    const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    handle(all.length >= 5 ? all.subarray(5) : Buffer.alloc(0));
  });
}

/** Starts the fake on 127.0.0.1. */
export async function startFakeBroker(options: FakeBrokerOptions = {}): Promise<FakeBroker> {
  const server = http2.createServer({
    settings: { maxConcurrentStreams: 1_000_000, initialWindowSize: 8 * 1024 * 1024 },
    maxSessionMemory: 1024,
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.setLocalWindowSize?.(64 * 1024 * 1024);
    session.on('error', () => undefined);
    session.on('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shape: FakeShape = {
    host: '127.0.0.1',
    port,
    queues: options.queues ?? 8,
    bodySize: options.bodySize ?? 1024,
    poolSize: options.poolSize ?? 4096,
  };
  const responses = new FakeResponses(shape);
  const calls: Record<string, number> = {};

  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    const path = String(headers[':path'] ?? '');
    if (path === STATS_PATH) {
      const cpu = process.cpuUsage();
      stream.respond({ ':status': 200, 'content-type': 'application/json' });
      stream.end(JSON.stringify({ cpuUs: cpu.user + cpu.system, calls }));
      return;
    }
    const method = path.startsWith(SERVICE) ? path.slice(SERVICE.length) : path;
    calls[method] = (calls[method] ?? 0) + 1;
    switch (method) {
      case 'SendMessage':
        return readRequest(stream, () => reply(stream, responses.send));
      case 'ReceiveMessage':
        return readRequest(stream, (bytes) => {
          const req = fromBinary(ReceiveMessageRequestSchema, bytes);
          const topic = req.messageQueue?.topic?.name ?? '';
          const batch = req.batchSize > 0 ? Math.min(req.batchSize, 32) : 32;
          reply(stream, responses.receiveOk, responses.messages(topic, batch));
        });
      case 'AckMessage':
        return readRequest(stream, (bytes) =>
          reply(stream, responses.ack(Math.max(1, countField(bytes, 3)))),
        );
      case 'ChangeInvisibleDuration':
        return readRequest(stream, () => reply(stream, responses.changeInvisible));
      case 'Heartbeat':
        return readRequest(stream, () => reply(stream, responses.heartbeat));
      case 'QueryRoute':
        return readRequest(stream, (bytes) => reply(stream, responses.route(bytes)));
      case 'QueryAssignment':
        return readRequest(stream, (bytes) => reply(stream, responses.assignment(bytes)));
      case 'NotifyClientTermination':
        return readRequest(stream, () => reply(stream, responses.termination));
      case 'EndTransaction':
        return readRequest(stream, () => reply(stream, responses.endTransaction));
      case 'ForwardMessageToDeadLetterQueue':
        return readRequest(stream, () => reply(stream, responses.forwardDlq));
      case 'Telemetry': {
        stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
        stream.once('wantTrailers', () => stream.sendTrailers(OK_TRAILERS));
        const reader = new FrameReader();
        stream.on('data', (chunk: Buffer) => {
          for (const command of reader.push(chunk)) {
            const answer = responses.settingsReply(command);
            if (answer !== undefined && !stream.destroyed) stream.write(answer);
          }
        });
        stream.on('end', () => {
          if (!stream.destroyed) stream.end();
        });
        return;
      }
      default:
        stream.resume();
        return fail(stream, 12, `${method} is not implemented by the fake broker`);
    }
  });

  return {
    port,
    endpoint: `127.0.0.1:${port}`,
    stats: () => {
      const cpu = process.cpuUsage();
      return { calls: { ...calls }, cpuUs: cpu.user + cpu.system, atMs: performance.now() };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}
