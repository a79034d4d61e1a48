/**
 * Readiness probe: a real gRPC `QueryRoute` through the proxy, built from the generated
 * descriptors and sent with @grpc/grpc-js (no client layers). A topic is "routable" when the
 * proxy answers with `Code.OK` and at least one queue.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { AddressScheme, Code, MessageType } from '../src/gen/apache/rocketmq/v2/definition_pb.js';
import {
  MessagingService,
  type QueryRouteRequest,
  type QueryRouteResponse,
} from '../src/gen/apache/rocketmq/v2/service_pb.js';
import type { BrokerAcl, TopicType } from './types.js';

const queryRoute = MessagingService.method.queryRoute;
const DENIED_GRACE_MS = 5000;
const QUERY_ROUTE_PATH = `/${MessagingService.typeName}/${queryRoute.name}`;

export interface RouteProbeResult {
  /** `apache.rocketmq.v2.Code` of the in-band status. */
  code: number;
  message: string;
  queueCount: number;
  /** Union of `accept_message_types` over the returned queues, as names (`FIFO`, …). */
  acceptMessageTypes: string[];
  /** Names of the brokers holding the returned queues (sorted, distinct). */
  brokerNames: string[];
}

export interface ProbeOptions {
  credentials?: BrokerAcl | undefined;
  timeoutMs?: number;
}

/** `yyyyMMdd'T'HHmmss'Z'` in UTC, the format of `x-mq-date-time`. */
export function mqDateTime(d = new Date()): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** The request headers a 5.x client sends, signed when credentials are given. */
export function mqMetadata(clientId: string, credentials?: BrokerAcl): grpc.Metadata {
  const md = new grpc.Metadata();
  const dt = mqDateTime();
  md.set('x-mq-client-id', clientId);
  md.set('x-mq-language', 'JAVA');
  md.set('x-mq-protocol', 'v2');
  md.set('x-mq-client-version', '5.0.8');
  md.set('x-mq-request-id', randomUUID());
  md.set('x-mq-date-time', dt);
  if (credentials) {
    const sig = createHmac('sha1', credentials.secretKey).update(dt).digest('hex');
    md.set(
      'authorization',
      `MQv2-HMAC-SHA1 Credential=${credentials.accessKey}, SignedHeaders=x-mq-date-time, Signature=${sig}`,
    );
  }
  return md;
}

function splitHostPort(endpoint: string): { host: string; port: number } {
  const i = endpoint.lastIndexOf(':');
  return { host: endpoint.slice(0, i), port: Number(endpoint.slice(i + 1)) };
}

/** One reusable gRPC channel to the proxy for probing. */
export class RouteProber {
  private readonly client: grpc.Client;
  private readonly clientId = `${hostname()}@${process.pid}@rocketmq-ts-probe@${randomUUID().slice(0, 8)}`;

  constructor(readonly endpoint: string) {
    this.client = new grpc.Client(endpoint, grpc.credentials.createInsecure());
  }

  /** Resolves with the in-band status; rejects on transport errors (e.g. UNAVAILABLE). */
  queryRoute(topic: string, opts: ProbeOptions = {}): Promise<RouteProbeResult> {
    const req = create(queryRoute.input, {
      topic: { name: topic },
      endpoints: { scheme: AddressScheme.IPv4, addresses: [splitHostPort(this.endpoint)] },
    });
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        QUERY_ROUTE_PATH,
        (m: QueryRouteRequest) => Buffer.from(toBinary(queryRoute.input, m)),
        (b: Buffer) => fromBinary(queryRoute.output, b),
        req,
        mqMetadata(this.clientId, opts.credentials),
        { deadline: Date.now() + (opts.timeoutMs ?? 3000) },
        (err, res?: QueryRouteResponse) => {
          if (err || !res) {
            reject(err ?? new Error('QueryRoute returned no response'));
            return;
          }
          const types = new Set<string>();
          const brokers = new Set<string>();
          for (const q of res.messageQueues) {
            for (const t of q.acceptMessageTypes) types.add(MessageType[t] ?? String(t));
            if (q.broker?.name) brokers.add(q.broker.name);
          }
          resolve({
            code: res.status?.code ?? Code.CODE_UNSPECIFIED,
            message: res.status?.message ?? '',
            queueCount: res.messageQueues.length,
            acceptMessageTypes: [...types],
            brokerNames: [...brokers].sort(),
          });
        },
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

export interface WaitRouteOptions extends ProbeOptions {
  /** Give up after this long (ms). */
  deadlineMs: number;
  /** Also require the queues to accept this message type. */
  expectType?: TopicType;
  /** Also require queues on each of these brokers (a cluster route). */
  expectBrokers?: readonly string[];
  intervalMs?: number;
  signal?: AbortSignal | undefined;
  /** Called between attempts; throwing stops the wait (e.g. the JVM died). */
  check?: () => void;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Polls QueryRoute until the topic is routable (and of the expected type), or throws with the last outcome. */
export async function waitForRoute(
  endpoint: string,
  topic: string,
  opts: WaitRouteOptions,
): Promise<RouteProbeResult> {
  const prober = new RouteProber(endpoint);
  const until = Date.now() + opts.deadlineMs;
  let last = 'no attempt';
  let deniedSince: number | undefined;
  try {
    for (;;) {
      opts.check?.();
      try {
        const r = await prober.queryRoute(topic, opts);
        const typeOk = !opts.expectType || r.acceptMessageTypes.includes(opts.expectType);
        const brokersOk = (opts.expectBrokers ?? []).every((b) => r.brokerNames.includes(b));
        if (r.code === Code.OK && r.queueCount > 0 && typeOk && brokersOk) return r;
        last = `status ${Code[r.code] ?? r.code} (${r.code}) "${r.message}", ${r.queueCount} queues, types [${r.acceptMessageTypes.join(',')}], brokers [${r.brokerNames.join(',')}]`;
        // Authentication/permission failures do not heal by waiting: give up after a short grace.
        if (r.code === Code.UNAUTHORIZED || r.code === Code.FORBIDDEN) {
          deniedSince ??= Date.now();
          if (Date.now() - deniedSince > DENIED_GRACE_MS) {
            throw new Error(`QueryRoute for ${topic} through ${endpoint} is refused: ${last}`);
          }
        } else deniedSince = undefined;
      } catch (e) {
        if (deniedSince !== undefined && Date.now() - deniedSince > DENIED_GRACE_MS) throw e;
        last = `transport error: ${(e as Error).message}`;
      }
      if (Date.now() >= until) {
        throw new Error(
          `topic ${topic} not routable through ${endpoint} after ${opts.deadlineMs} ms; last: ${last}`,
        );
      }
      await sleep(opts.intervalMs ?? 200, opts.signal);
    }
  } finally {
    prober.close();
  }
}
