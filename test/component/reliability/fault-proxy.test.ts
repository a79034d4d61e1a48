/**
 * The TCP fault proxy itself (test/helpers/fault-proxy.ts), against a loopback echo server: every mode,
 * runtime switching, counters, TLS termination, and a close() that leaves nothing behind.
 *
 * "Nothing arrives" is never checked by waiting: a marker is sent after the fault is healed, and the
 * echo must contain the marker only.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as net from 'node:net';
import { after, before, describe, test } from 'node:test';
import * as tls from 'node:tls';
import { FaultProxy } from '../../helpers/fault-proxy.js';
import { assertNoExtraResources, resources } from '../../helpers/resources.js';
import { makeTestCerts, opensslSkip } from '../../helpers/tls-certs.js';

/** An echo server that also records what each connection received. */
async function echoServer(): Promise<{ server: net.Server; endpoint: string; sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, endpoint: `127.0.0.1:${(server.address() as net.AddressInfo).port}`, sockets };
}

/** A client socket that collects what it receives. */
async function connect(endpoint: string): Promise<{ socket: net.Socket; received: () => string }> {
  const [host, port] = [endpoint.slice(0, endpoint.lastIndexOf(':')), Number(endpoint.split(':').pop())];
  const socket = net.connect({ host, port });
  socket.on('error', () => {});
  let data = '';
  socket.on('data', (c: Buffer) => {
    data += c.toString('latin1');
  });
  await once(socket, 'connect');
  return { socket, received: () => data };
}

/** Resolves when the socket closes, whatever the reason (`once` would reject on an 'error' first). */
function closed(socket: net.Socket): Promise<void> {
  return new Promise((r) => socket.once('close', () => r()));
}

/** Waits (bounded, on socket events) until `cond()` holds. */
async function until(cond: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

describe('FaultProxy', () => {
  let echo: Awaited<ReturnType<typeof echoServer>>;
  let baseline: Map<string, number>;

  before(async () => {
    echo = await echoServer();
    baseline = resources();
  });

  after(async () => {
    for (const s of echo.sockets) s.destroy();
    await new Promise<void>((r) => echo.server.close(() => r()));
  });

  test('pass: bytes flow both ways and are counted; close() leaves no handles', async () => {
    const proxy = await FaultProxy.start({ target: echo.endpoint });
    const c = await connect(proxy.endpoint);
    c.socket.write('hello');
    await until(() => c.received() === 'hello', 5_000, 'echo');
    const s = proxy.stats();
    assert.equal(s.accepted, 1);
    assert.equal(s.active, 1);
    assert.equal(s.bytesUp, 5);
    assert.equal(s.bytesDown, 5);
    await proxy.close();
    await closed(c.socket);
    assert.equal(proxy.stats().active, 0);
    await proxy.close(); // idempotent
    await assertNoExtraResources(baseline);
  });

  test('delay: each direction is held for the delay, order is kept', async () => {
    await using proxy = await FaultProxy.start({ target: echo.endpoint, mode: { kind: 'delay', ms: 60 } });
    const c = await connect(proxy.endpoint);
    const started = performance.now();
    for (let i = 0; i < 10; i++) c.socket.write(`${i}`);
    await until(() => c.received().length === 10, 5_000, 'delayed echo');
    const elapsed = performance.now() - started;
    assert.equal(c.received(), '0123456789');
    assert.ok(elapsed >= 110, `round trip took ${elapsed.toFixed(0)} ms, expected ≥ 2 × 60`);
    c.socket.destroy();
  });

  test('throttle: throughput is bounded by bytesPerSecond', async () => {
    await using proxy = await FaultProxy.start({
      target: echo.endpoint,
      mode: { kind: 'throttle', bytesPerSecond: 100_000 },
    });
    const c = await connect(proxy.endpoint);
    const payload = 'x'.repeat(20_000);
    const started = performance.now();
    c.socket.write(payload);
    await until(() => c.received().length === payload.length, 10_000, 'throttled echo');
    const elapsed = performance.now() - started;
    // 20 kB up and 20 kB down at 100 kB/s each, pipelined: ≥ 200 ms.
    assert.ok(elapsed >= 190, `took ${elapsed.toFixed(0)} ms, expected ≥ 200`);
    c.socket.destroy();
  });

  test('blackhole: bytes are dropped while the connection stays open; heal resumes it', async () => {
    await using proxy = await FaultProxy.start({ target: echo.endpoint });
    const c = await connect(proxy.endpoint);
    proxy.set({ kind: 'blackhole' });
    c.socket.write('lost');
    await until(() => proxy.stats().droppedBytes === 4, 5_000, 'drop');
    assert.equal(proxy.stats().active, 1, 'the connection is kept open');
    proxy.heal();
    c.socket.write('marker');
    await until(() => c.received().length >= 6, 5_000, 'echo after heal');
    assert.equal(c.received(), 'marker', 'nothing sent during the blackhole arrived');
    c.socket.destroy();
  });

  test('partition: bytes are held, not dropped, and delivered in order on heal; new connections are held too', async () => {
    await using proxy = await FaultProxy.start({ target: echo.endpoint });
    const c = await connect(proxy.endpoint);
    proxy.set({ kind: 'partition' });
    c.socket.write('held-');
    await until(() => proxy.stats().heldBytes === 5, 5_000, 'the bytes to be held');
    const late = await connect(proxy.endpoint);
    late.socket.write('late');
    await until(() => proxy.stats().heldBytes === 9, 5_000, 'the new connection to be held');
    c.socket.write('then');
    await until(() => proxy.stats().heldBytes === 13, 5_000, 'more bytes held');
    assert.equal(proxy.stats().bytesUp, 0, 'nothing passed');
    assert.equal(c.received(), '');
    proxy.heal();
    await until(() => c.received() === 'held-then' && late.received() === 'late', 5_000, 'delivery on heal');
    assert.equal(proxy.stats().droppedBytes, 0);
    c.socket.write('!');
    await until(() => c.received() === 'held-then!', 5_000, 'pass after heal');
    c.socket.destroy();
    late.socket.destroy();
  });

  test('blackholeExisting: the open connection goes silent, a new one passes', async () => {
    await using proxy = await FaultProxy.start({ target: echo.endpoint });
    const old = await connect(proxy.endpoint);
    proxy.blackholeExisting();
    old.socket.write('dropped');
    const fresh = await connect(proxy.endpoint);
    fresh.socket.write('ok');
    await until(() => fresh.received() === 'ok', 5_000, 'new connection echo');
    await until(() => proxy.stats().droppedBytes === 7, 5_000, 'drop on the old connection');
    assert.equal(old.received(), '');
    assert.equal(proxy.stats().accepted, 2);
    old.socket.destroy();
    fresh.socket.destroy();
  });

  test('reset: open connections get ECONNRESET, new ones are reset at accept', async () => {
    await using proxy = await FaultProxy.start({ target: echo.endpoint });
    const c = await connect(proxy.endpoint);
    const error = once(c.socket, 'error');
    proxy.set({ kind: 'reset' });
    const [err] = (await error) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNRESET');
    const c2 = net.connect({ host: '127.0.0.1', port: proxy.port });
    const [err2] = (await once(c2, 'error')) as [NodeJS.ErrnoException];
    assert.equal(err2.code, 'ECONNRESET');
    assert.equal(proxy.stats().resets, 2);
    assert.equal(proxy.stats().accepted, 2);
    proxy.heal();
    const c3 = await connect(proxy.endpoint);
    c3.socket.write('back');
    await until(() => c3.received() === 'back', 5_000, 'echo after heal');
    c3.socket.destroy();
  });

  test('resetAll is one-shot: the mode of new connections stays pass', async () => {
    await using proxy = await FaultProxy.start({ target: echo.endpoint });
    const c = await connect(proxy.endpoint);
    const error = once(c.socket, 'error');
    assert.equal(proxy.resetAll(), 1);
    await error;
    const c2 = await connect(proxy.endpoint);
    c2.socket.write('z');
    await until(() => c2.received() === 'z', 5_000, 'echo');
    c2.socket.destroy();
  });

  test('close-after: exactly N bytes reach the client, then a FIN', async () => {
    await using proxy = await FaultProxy.start({ target: echo.endpoint });
    const c = await connect(proxy.endpoint);
    c.socket.write('abc');
    await until(() => c.received() === 'abc', 5_000, 'first echo');
    proxy.set({ kind: 'close-after', bytes: 5 });
    const ended = once(c.socket, 'end');
    c.socket.write('0123456789');
    await ended;
    assert.equal(c.received(), 'abc01234');
    assert.equal(proxy.stats().cut, 1);
    c.socket.destroy();
  });

  test('close-after with rst and direction up', async () => {
    await using proxy = await FaultProxy.start({ target: echo.endpoint });
    const c = await connect(proxy.endpoint);
    const error = once(c.socket, 'error');
    proxy.set({ kind: 'close-after', bytes: 3, direction: 'up', how: 'rst' });
    c.socket.write('abcdef');
    const [err] = (await error) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNRESET');
    assert.equal(proxy.stats().bytesUp, 3);
    assert.equal(proxy.stats().resets, 1);
  });

  test('upstream down: the client connection is closed and the failure counted', async () => {
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as net.AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    await using proxy = await FaultProxy.start({ target: `127.0.0.1:${port}` });
    const c = await connect(proxy.endpoint);
    await closed(c.socket);
    assert.equal(proxy.stats().upstreamFailures, 1);
    assert.equal(proxy.stats().active, 0);
  });

  test('waitForAccepted resolves on the Nth connection and rejects after its bound', async () => {
    await using proxy = await FaultProxy.start({ target: echo.endpoint });
    const waiting = proxy.waitForAccepted(2, 5_000);
    const a = await connect(proxy.endpoint);
    const b = await connect(proxy.endpoint);
    await waiting;
    await assert.rejects(proxy.waitForAccepted(3, 20), /timed out/);
    a.socket.destroy();
    b.socket.destroy();
  });

  test('close() during delay with queued bytes clears its timers', async () => {
    const before = resources();
    const proxy = await FaultProxy.start({ target: echo.endpoint, mode: { kind: 'delay', ms: 10_000 } });
    const c = await connect(proxy.endpoint);
    c.socket.write('held');
    await until(() => proxy.stats().bytesUp === 0 && proxy.stats().active === 1, 5_000, 'queued');
    await proxy.close();
    await closed(c.socket);
    await assertNoExtraResources(before);
  });

  test('bad modes and targets are refused', async () => {
    await assert.rejects(FaultProxy.start({ target: 'nope' }), RangeError);
    await using proxy = await FaultProxy.start({ target: echo.endpoint });
    assert.throws(() => proxy.set({ kind: 'delay', ms: -1 }), RangeError);
    assert.throws(() => proxy.set({ kind: 'throttle', bytesPerSecond: 0 }), RangeError);
    assert.throws(() => proxy.set({ kind: 'close-after', bytes: 1.5 }), RangeError);
    assert.equal(proxy.mode.kind, 'pass');
  });

  test('TLS termination: the right CA connects, plaintext is refused and counted', {
    skip: opensslSkip(),
  }, async () => {
    const certs = makeTestCerts();
    await using proxy = await FaultProxy.start({
      target: echo.endpoint,
      tls: { key: certs.key, cert: certs.cert },
    });
    const secure = tls.connect({
      host: '127.0.0.1',
      port: proxy.port,
      ca: certs.ca,
      servername: 'localhost',
      ALPNProtocols: ['h2'],
    });
    await once(secure, 'secureConnect');
    let got = '';
    secure.on('data', (d: Buffer) => {
      got += d.toString();
    });
    secure.write('tls');
    await until(() => got === 'tls', 5_000, 'TLS echo');
    secure.destroy();

    const wrong = tls.connect({
      host: '127.0.0.1',
      port: proxy.port,
      ca: certs.otherCa,
      servername: 'localhost',
    });
    const [err] = (await once(wrong, 'error')) as [NodeJS.ErrnoException];
    assert.match(String(err.code), /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);

    const plain = await connect(proxy.endpoint);
    plain.socket.write('GET / HTTP/1.1\r\n\r\n');
    await closed(plain.socket);
    await until(() => proxy.stats().tlsFailures >= 1, 5_000, 'TLS failure count');
  });
});
