/**
 * Tells a TLS/plaintext mismatch apart from an unreachable endpoint.
 *
 * grpc-js reports both the same way: a plaintext channel to a TLS-only port sees the server close the
 * connection without a byte ("Failed to connect"), and a TLS channel to a plaintext port fails its
 * handshake; both are `UNAVAILABLE`, which the client retries until its settings bound. After such a
 * failure one probe of the endpoint's first address answers the question, with two connections:
 *
 * - a TLS handshake (any certificate accepted, nothing sent after it) that completes means the port
 *   speaks TLS;
 * - the HTTP/2 connection preface sent in the clear, answered by an HTTP/2 SETTINGS frame, means the
 *   port speaks plaintext HTTP/2.
 *
 * It is a mismatch when the port speaks the other protocol and not the client's. Anything else
 * (refused, reset, silent, timeout, or a port that speaks both) is "no mismatch found": the caller
 * keeps retrying.
 *
 * @packageDocumentation
 */

import * as net from 'node:net';
import * as tls from 'node:tls';
import { RocketMQError } from '../errors.js';
import { systemTimers, type TimerApi, unrefTimer } from '../internal/timers.js';
import { type Endpoints, endpointKey } from './endpoints.js';

/** HTTP/2 client connection preface followed by an empty SETTINGS frame. */
const H2_PREFACE = Buffer.concat([
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'),
  Buffer.from([0, 0, 0, 0x04, 0, 0, 0, 0, 0]),
]);
/** HTTP/2 frame type of SETTINGS. */
const H2_SETTINGS = 0x04;

/** What the probed port speaks, when it contradicts the client's configuration. */
export type TransportMismatch = 'server-speaks-tls' | 'server-speaks-plaintext';

type Address = Endpoints['addresses'][number];

/**
 * One bounded, abortable connection to `address` that settles `true` when `check` says the server
 * speaks the protocol, `false` on anything else (refused, closed, garbage, timeout, abort).
 */
function connectAndCheck(
  address: Address,
  useTls: boolean,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  timers: TimerApi,
): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    let socket: net.Socket | undefined;
    const onAbort = (): void => finish(false);
    const finish = (speaks: boolean): void => {
      if (settled) return;
      settled = true;
      timers.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket?.destroy();
      resolve(speaks);
    };
    const timer = timers.setTimeout(() => finish(false), timeoutMs);
    unrefTimer(timer);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (useTls) {
        socket = tls.connect({
          host: address.host,
          port: address.port,
          rejectUnauthorized: false,
          ALPNProtocols: ['h2'],
          ...(net.isIP(address.host) === 0 ? { servername: address.host } : {}),
        });
        // A completed handshake (any certificate accepted; nothing is sent after it) means TLS.
        socket.on('secureConnect', () => finish(true));
      } else {
        let head = Buffer.alloc(0);
        socket = net.connect({ host: address.host, port: address.port }, () => socket?.write(H2_PREFACE));
        socket.on('data', (chunk: Buffer) => {
          head = Buffer.concat([head, chunk]);
          if (head.length < 9) return;
          // A frame header: 24-bit length, type, flags, stream id 0; SETTINGS payloads are 6-byte entries.
          const length = head.readUIntBE(0, 3);
          finish(head[3] === H2_SETTINGS && length % 6 === 0 && head.readUInt32BE(5) === 0);
        });
      }
      socket.on('error', () => finish(false));
      socket.on('close', () => finish(false));
    } catch {
      finish(false);
    }
  });
}

/**
 * Probes the first address of `endpoints` (one connection, and a second only when the first found the
 * other protocol; each bounded by `timeoutMs` and ended early by `signal`) and returns the mismatch
 * found, or `undefined`. A mismatch needs both: the server speaks the other protocol, and does not
 * speak the client's (a port that accepts both, as a proxy in permissive TLS mode does, is no
 * mismatch). Never throws; its sockets and timers are gone once it resolves. `timers` bound the
 * connections; they default to the system's, since what they bound is real network I/O.
 */
export async function probeTransportMismatch(
  endpoints: Endpoints,
  clientUsesTls: boolean,
  timeoutMs: number,
  signal?: AbortSignal,
  timers: TimerApi = systemTimers,
): Promise<TransportMismatch | undefined> {
  const address = endpoints.addresses[0];
  if (address === undefined || !(timeoutMs > 0) || signal?.aborted) return undefined;
  // One connection when the port does not speak the other protocol (the usual failure: it is down).
  if (!(await connectAndCheck(address, !clientUsesTls, timeoutMs, signal, timers))) return undefined;
  if (await connectAndCheck(address, clientUsesTls, timeoutMs, signal, timers)) return undefined;
  if (signal?.aborted) return undefined;
  return clientUsesTls ? 'server-speaks-plaintext' : 'server-speaks-tls';
}

/** The error a start fails with when a probe found a mismatch (`UNAVAILABLE`, not retriable). */
export function transportMismatchError(
  endpoints: Endpoints,
  mismatch: TransportMismatch,
  cause: unknown,
): RocketMQError {
  const where = endpointKey(endpoints);
  const text =
    mismatch === 'server-speaks-tls'
      ? `${where} speaks TLS but the client is configured for plaintext; set the \`tls\` option`
      : `${where} speaks plaintext but the client is configured for TLS; remove the \`tls\` option or use the TLS port`;
  return new RocketMQError(text, 'UNAVAILABLE', { retriable: false, cause });
}
