/**
 * The TLS/plaintext probe against loopback servers: a TLS server is "speaks TLS" to a plaintext
 * client, an HTTP/2 cleartext server is "speaks plaintext" to a TLS client; the right pairing, a port
 * that speaks both, a refused port and a server that never answers are not mismatches (the last one
 * ends at the bound).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tls from 'node:tls';
import { parseEndpoints } from '../../../src/rpc/endpoints.js';
import { probeTransportMismatch, transportMismatchError } from '../../../src/rpc/transport-probe.js';
import { ManualTime } from '../../../src/testing/manual-time.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

function listen(server: net.Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as net.AddressInfo).port}`)),
  );
}

describe('probeTransportMismatch', () => {
  const tlsServer = tls.createServer({
    key: readFileSync(join(FIXTURES, 'server.key')),
    cert: readFileSync(join(FIXTURES, 'server.crt')),
    ALPNProtocols: ['h2'],
  });
  tlsServer.on('secureConnection', (s) => s.on('error', () => {}));
  tlsServer.on('tlsClientError', (_e, s) => s.destroy());
  const h2c = http2.createServer();
  h2c.on('session', (s) => s.on('error', () => {}));
  // Both on one port, as a proxy in permissive TLS mode: a first byte 0x16 (TLS handshake) goes to TLS.
  const both = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (chunk) => {
      socket.pause();
      socket.unshift(chunk);
      (chunk[0] === 0x16 ? tlsServer : h2c).emit('connection', socket);
    });
  });
  const silent = net.createServer((s) => s.on('error', () => {}));
  const sockets = new Set<net.Socket>();
  silent.on('connection', (s) => sockets.add(s));
  let tlsAt = '';
  let h2cAt = '';
  let silentAt = '';
  let bothAt = '';

  before(async () => {
    tlsAt = await listen(tlsServer);
    h2cAt = await listen(h2c);
    silentAt = await listen(silent);
    bothAt = await listen(both);
  });
  after(() => {
    for (const s of sockets) s.destroy();
    tlsServer.close();
    h2c.close();
    silent.close();
    both.close();
  });

  test('plaintext client → TLS port: server-speaks-tls', async () => {
    assert.equal(await probeTransportMismatch(parseEndpoints(tlsAt), false, 5_000), 'server-speaks-tls');
  });

  test('TLS client → h2c port: server-speaks-plaintext', async () => {
    assert.equal(await probeTransportMismatch(parseEndpoints(h2cAt), true, 5_000), 'server-speaks-plaintext');
  });

  test('matching pairs are not mismatches', async () => {
    assert.equal(await probeTransportMismatch(parseEndpoints(tlsAt), true, 5_000), undefined);
    assert.equal(await probeTransportMismatch(parseEndpoints(h2cAt), false, 5_000), undefined);
  });

  test('a port that speaks both (permissive TLS) is not a mismatch either way', async () => {
    assert.equal(await probeTransportMismatch(parseEndpoints(bothAt), false, 5_000), undefined);
    assert.equal(await probeTransportMismatch(parseEndpoints(bothAt), true, 5_000), undefined);
  });

  test('a refused port is not a mismatch', async () => {
    const spare = net.createServer();
    const at = await listen(spare);
    await new Promise((r) => spare.close(r));
    assert.equal(await probeTransportMismatch(parseEndpoints(at), false, 5_000), undefined);
    assert.equal(await probeTransportMismatch(parseEndpoints(at), true, 5_000), undefined);
  });

  test('a server that never answers ends at the bound with no mismatch', async () => {
    assert.equal(await probeTransportMismatch(parseEndpoints(silentAt), false, 200), undefined);
    assert.equal(await probeTransportMismatch(parseEndpoints(silentAt), true, 200), undefined);
  });

  test('the bound runs on the timers it is given, and only then ends the probe', async () => {
    const time = new ManualTime();
    const accepted = new Promise<net.Socket>((resolve) => silent.once('connection', resolve));
    let ended = false;
    const probing = probeTransportMismatch(parseEndpoints(silentAt), false, 60_000, undefined, time).then(
      (found) => {
        ended = true;
        return found;
      },
    );
    await accepted;
    assert.equal(time.pending, 1, 'the bound is a timer of the given timer API');
    time.advance(59_999);
    await new Promise((r) => setImmediate(r));
    assert.equal(ended, false);
    time.advance(1);
    assert.equal(await probing, undefined);
    assert.equal(time.pending, 0);
  });

  test('an aborted probe ends at once, before its bound, and closes its socket', async () => {
    const abort = new AbortController();
    const accepted = new Promise<net.Socket>((resolve) => silent.once('connection', resolve));
    const probing = probeTransportMismatch(parseEndpoints(silentAt), false, 60_000, abort.signal);
    const serverSide = await accepted;
    const closed = new Promise<void>((resolve) => serverSide.once('close', () => resolve()));
    abort.abort();
    assert.equal(await probing, undefined);
    await closed;
    assert.equal(await probeTransportMismatch(parseEndpoints(tlsAt), false, 5_000, abort.signal), undefined);
  });

  test('the error is UNAVAILABLE, not retriable, names the endpoint and keeps its cause', () => {
    const cause = new Error('grpc');
    const e = transportMismatchError(parseEndpoints(tlsAt), 'server-speaks-tls', cause);
    assert.equal(e.code, 'UNAVAILABLE');
    assert.equal(e.retriable, false);
    assert.ok(e.message.includes(tlsAt));
    assert.equal(e.cause, cause);
  });
});
