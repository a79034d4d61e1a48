/**
 * Authentication and transport security (reliability-matrix rows B1, B3, B4, B5) on the in-process broker:
 * missing, wrong or revoked credentials give `UNAUTHORIZED` fast and without a retry storm; the secret
 * and the session token never appear in logs (debug level included), error messages, `inspect()` or
 * JSON of errors and clients; TLS with a wrong CA, with system roots against a self-signed certificate,
 * and plaintext against a TLS port are refused within a bound; the right CA (or the explicit insecure
 * opt-in) connects. TLS is terminated by the fault proxy in front of the plaintext broker, with a
 * certificate made by `openssl` at test time.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, type TestContext, test } from 'node:test';
import { inspect } from 'node:util';
import { SimpleConsumer } from '../../../src/consumer/simple-consumer.js';
import { RocketMQError } from '../../../src/errors.js';
import { Producer, type ProducerOptions } from '../../../src/producer/index.js';
import { type Credentials, createCredentials } from '../../../src/rpc/auth/credentials.js';
import { InProcessBroker } from '../../../src/testing/index.js';
import { FaultProxy } from '../../helpers/fault-proxy.js';
import { makeTestCerts, opensslSkip, type TestCerts } from '../../helpers/tls-certs.js';
import { capturingLogger, FAST_RECONNECT, uniqueName, until } from './setup.js';

const ACCESS_KEY = 'rocketmq-ts-user';
const SECRET = `S3cret-${randomBytes(12).toString('hex')}`;
const WRONG_SECRET = `Wr0ng-${randomBytes(12).toString('hex')}`;
const TOKEN = `T0ken-${randomBytes(12).toString('hex')}`;

async function aclBroker(t: TestContext): Promise<{ broker: InProcessBroker; topic: string }> {
  const broker = await InProcessBroker.start({
    longPollingMinMs: 0,
    acl: { accessKey: ACCESS_KEY, secretKey: SECRET },
  });
  t.after(() => broker.shutdown());
  const topic = uniqueName('acl');
  broker.createTopic(topic);
  return { broker, topic };
}

function producer(t: TestContext, endpoint: string, options: Partial<ProducerOptions> = {}): Producer {
  const p = new Producer({
    endpoints: endpoint,
    requestTimeoutMs: 1_000,
    ...options,
    core: { reconnectBackoff: FAST_RECONNECT, heartbeatIntervalMs: 200, ...options.core },
  });
  t.after(() => p.shutdown({ timeoutMs: 500 }));
  return p;
}

async function failure(p: Promise<unknown>): Promise<RocketMQError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RocketMQError, `expected a RocketMQError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a failure');
}

/** Everything a user could print: the error's message, inspect and JSON (with causes), and the client. */
function renderings(err: unknown, ...objects: unknown[]): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && depth < 5; depth++) {
    parts.push(String((e as Error).message), String((e as Error).stack));
    parts.push(inspect(e, { depth: 10, showHidden: true }));
    try {
      parts.push(JSON.stringify(e));
    } catch {}
    e = (e as { cause?: unknown }).cause;
  }
  for (const o of objects) {
    parts.push(inspect(o, { depth: 10, showHidden: true }));
    try {
      parts.push(JSON.stringify(o));
    } catch {}
  }
  return parts.join('\n');
}

function assertNoSecret(text: string, what: string): void {
  for (const secret of [SECRET, WRONG_SECRET, TOKEN]) {
    assert.ok(!text.includes(secret), `${what} contains a secret (${secret.slice(0, 6)}…)`);
  }
}

describe('authentication', () => {
  test('B1 no credentials: start fails with UNAUTHORIZED at once (producer and consumer), one attempt', async (t) => {
    const { broker, topic } = await aclBroker(t);
    const p = producer(t, broker.endpoint, { topics: [topic] });
    const started = performance.now();
    const e = await failure(p.start());
    assert.equal(e.code, 'UNAUTHORIZED');
    assert.equal(e.brokerCode, 40100);
    assert.equal(e.retriable, false);
    assert.ok(performance.now() - started < 1_500, 'well before the settings timeout');
    assert.equal(broker.stats().calls.Telemetry, 1, 'not retried');
    const c = new SimpleConsumer({
      endpoints: broker.endpoint,
      consumerGroup: uniqueName('acl-g'),
      subscriptions: { [topic]: '*' },
    });
    t.after(() => c.shutdown({ timeoutMs: 500 }));
    assert.equal((await failure(c.start())).code, 'UNAUTHORIZED');
  });

  test('B1 wrong secret and unknown access key: UNAUTHORIZED; B4 no secret in logs, errors or inspect()', async (t) => {
    const { broker, topic } = await aclBroker(t);
    const logger = capturingLogger();
    // createCredentials keeps the secret and token out of inspect() and JSON, so the options can be logged.
    const credentials = createCredentials(ACCESS_KEY, WRONG_SECRET, TOKEN);
    const options = { topics: [topic], credentials, logger };
    const p = producer(t, broker.endpoint, options);
    const e = await failure(p.start());
    assert.equal(e.code, 'UNAUTHORIZED');
    assert.match(e.message, /signature/);
    assertNoSecret(renderings(e, p, options), 'the error, the producer or its options');

    const q = producer(t, broker.endpoint, {
      topics: [topic],
      credentials: { accessKey: 'nobody', accessSecret: SECRET },
      logger,
    });
    const e2 = await failure(q.start());
    assert.equal(e2.code, 'UNAUTHORIZED');
    assert.match(e2.message, /nobody/);
    assertNoSecret(renderings(e2, q), 'the error or the producer');

    const c = new SimpleConsumer({
      endpoints: broker.endpoint,
      consumerGroup: uniqueName('acl-g'),
      subscriptions: { [topic]: '*' },
      credentials,
      logger,
    });
    t.after(() => c.shutdown({ timeoutMs: 500 }));
    const e3 = await failure(c.start());
    assert.equal(e3.code, 'UNAUTHORIZED');
    assertNoSecret(renderings(e3, c), 'the consumer error');
    await Promise.all([p.shutdown(), q.shutdown(), c.shutdown()]);
    assert.ok(logger.lines.length > 5, 'the logger saw the failures');
    assertNoSecret(logger.lines.join('\n'), 'the log');
  });

  test('B4 right credentials: a full round trip works and nothing secret is logged at debug level', async (t) => {
    const { broker, topic } = await aclBroker(t);
    const logger = capturingLogger();
    const credentials: Credentials = { accessKey: ACCESS_KEY, accessSecret: SECRET, securityToken: TOKEN };
    const p = producer(t, broker.endpoint, { topics: [topic], credentials, logger });
    const c = new SimpleConsumer({
      endpoints: broker.endpoint,
      consumerGroup: uniqueName('acl-g'),
      subscriptions: { [topic]: '*' },
      credentials,
      logger,
      awaitDurationMs: 200,
    });
    t.after(() => c.shutdown({ timeoutMs: 500 }));
    await Promise.all([p.start(), c.start()]);
    await p.send({ topic, body: 'secret-free' });
    const [v] = await c.receive(1, 10_000);
    await c.ack(v!);
    broker.faults.failNext('SendMessage', 1, { code: 40100, message: 'denied' }); // an auth error on a send
    const e = await failure(p.send({ topic, body: 'denied' }));
    assert.equal(e.code, 'UNAUTHORIZED');
    await Promise.all([p.shutdown(), c.shutdown()]);
    assert.ok(
      logger.lines.some((l) => l.startsWith('debug')),
      'debug lines were captured',
    );
    assertNoSecret(logger.lines.join('\n'), 'the debug log');
    assertNoSecret(renderings(e, p, c), 'errors and clients');
  });

  test('B3 credentials rotated by the provider to a revoked secret: the next send fails UNAUTHORIZED fast, rotating back recovers', async (t) => {
    const { broker, topic } = await aclBroker(t);
    let current: Credentials = { accessKey: ACCESS_KEY, accessSecret: SECRET };
    const p = producer(t, broker.endpoint, { topics: [topic], credentials: () => current });
    await p.start();
    assert.ok((await p.send({ topic, body: 'before' })).messageId);
    current = { accessKey: ACCESS_KEY, accessSecret: WRONG_SECRET };
    broker.resetStats();
    const started = performance.now();
    const e = await failure(p.send({ topic, body: 'revoked' }));
    assert.equal(e.code, 'UNAUTHORIZED');
    // An answer, not a stall: a stalled send would end at its request timeout (1 s) or later.
    const answeredAfter = performance.now() - started;
    assert.ok(answeredAfter < 1_000, `answered after ${answeredAfter.toFixed(0)} ms, before the request timeout`);
    assert.equal(broker.stats().calls.SendMessage, 1, 'not retried');
    // Telemetry reconnects sign with the provider's current secret too.
    const session = [...p.core.sessions.values()][0]!;
    broker.faults.dropStreams();
    await until(
      () => session.lastError?.code === 'UNAUTHORIZED',
      5_000,
      'telemetry refused with the revoked secret',
    );
    current = { accessKey: ACCESS_KEY, accessSecret: SECRET };
    await until(() => session.hasSettings, 5_000, 'telemetry back with the good secret');
    assert.ok((await p.send({ topic, body: 'after' })).messageId);
    assertNoSecret(renderings(e, p), 'the error');
  });
});

describe('TLS', { skip: opensslSkip() }, () => {
  let certs: TestCerts;

  async function tlsBroker(
    t: TestContext,
  ): Promise<{ broker: InProcessBroker; proxy: FaultProxy; topic: string }> {
    certs ??= makeTestCerts();
    const broker = await InProcessBroker.start({ longPollingMinMs: 0, useEndpointPortFromRequest: true });
    const proxy = await FaultProxy.start({
      target: broker.endpoint,
      tls: { key: certs.key, cert: certs.cert },
    });
    t.after(async () => {
      await proxy.close();
      await broker.shutdown();
    });
    const topic = uniqueName('tls');
    broker.createTopic(topic);
    return { broker, proxy, topic };
  }

  const bounded = { core: { startupSettingsTimeoutMs: 1_500 } };

  test('B5 the right CA with the server name connects; sends and receives go over TLS', async (t) => {
    const { broker, proxy, topic } = await tlsBroker(t);
    const p = producer(t, proxy.endpoint, {
      topics: [topic],
      tls: { ca: certs.ca, serverName: 'localhost' },
    });
    await p.start();
    const receipt = await p.send({ topic, body: 'over tls' });
    assert.ok(receipt.endpoint.includes(String(proxy.port)), 'the send went through the TLS endpoint');
    const c = new SimpleConsumer({
      endpoints: proxy.endpoint,
      consumerGroup: uniqueName('tls-g'),
      subscriptions: { [topic]: '*' },
      tls: { ca: certs.ca, serverName: 'localhost' },
      awaitDurationMs: 200,
    });
    t.after(() => c.shutdown({ timeoutMs: 500 }));
    await c.start();
    const [v] = await c.receive(1, 10_000);
    assert.equal(v?.body.toString(), 'over tls');
    assert.equal(broker.stats().stored, 1);
    assert.equal(proxy.stats().tlsFailures, 0);
  });

  test('B5 a wrong CA is refused: start fails within its bound, nothing reaches the broker', async (t) => {
    const { broker, proxy } = await tlsBroker(t);
    const p = producer(t, proxy.endpoint, {
      tls: { ca: certs.otherCa, serverName: 'localhost' },
      ...bounded,
    });
    const started = performance.now();
    const e = await failure(p.start());
    assert.ok(performance.now() - started < 2_500);
    assert.equal(e.code, 'SETTINGS_TIMEOUT');
    assert.match(renderings(e), /certificate|self.signed|verify/i, 'the cause names the certificate problem');
    assert.equal(broker.stats().calls.Telemetry, 0);
  });

  test('B5 system roots (tls: true) against a self-signed certificate are refused', async (t) => {
    const { broker, proxy } = await tlsBroker(t);
    const p = producer(t, proxy.endpoint, { tls: true, ...bounded });
    assert.equal((await failure(p.start())).code, 'SETTINGS_TIMEOUT');
    assert.equal(broker.stats().calls.Telemetry, 0);
  });

  test('B5 the explicit insecure opt-in (rejectUnauthorized: false) connects', async (t) => {
    const { proxy, topic } = await tlsBroker(t);
    const p = producer(t, proxy.endpoint, { topics: [topic], tls: { rejectUnauthorized: false } });
    await p.start();
    assert.ok((await p.send({ topic, body: 'x' })).messageId);
  });

  // The row's bound: a TLS/plaintext mismatch fails the start faster than one request timeout, with an
  // error that names the mismatch and is not retried (not the settings bound, requestTimeout + 3 s).
  const MISMATCH_TIMEOUT_MS = 3_000;

  test('B5 plaintext to the TLS port fails typed (server speaks TLS, not retriable) within requestTimeout, no hang', async (t) => {
    const { broker, proxy } = await tlsBroker(t);
    const p = producer(t, proxy.endpoint, { requestTimeoutMs: MISMATCH_TIMEOUT_MS });
    const started = performance.now();
    const e = await failure(p.start());
    const elapsed = performance.now() - started;
    assert.equal(e.code, 'UNAVAILABLE', e.message);
    assert.equal(e.retriable, false);
    assert.match(e.message, /speaks TLS but the client is configured for plaintext/);
    assert.ok(elapsed < MISMATCH_TIMEOUT_MS, `start failed after ${Math.round(elapsed)} ms`);
    await until(() => proxy.stats().tlsFailures >= 1, 2_000, 'the proxy to see a failed handshake');
    assert.equal(broker.stats().calls.Telemetry, 0);
    assert.equal(p.state, 'failed');
  });

  test('B5 TLS to a plaintext port fails typed (server speaks plaintext, not retriable) within requestTimeout', async (t) => {
    const { broker } = await tlsBroker(t);
    const p = producer(t, broker.endpoint, { tls: { ca: certs.ca }, requestTimeoutMs: MISMATCH_TIMEOUT_MS });
    const started = performance.now();
    const e = await failure(p.start());
    const elapsed = performance.now() - started;
    assert.equal(e.code, 'UNAVAILABLE', e.message);
    assert.equal(e.retriable, false);
    assert.match(e.message, /speaks plaintext but the client is configured for TLS/);
    assert.ok(elapsed < MISMATCH_TIMEOUT_MS, `start failed after ${Math.round(elapsed)} ms`);
    assert.equal(broker.stats().calls.Telemetry, 0);
  });

  test('B5 a port that refuses connections is not taken for a mismatch: start retries to its settings bound', async (t) => {
    const { broker, proxy } = await tlsBroker(t);
    const closedPort = proxy.endpoint.replace(/:\d+$/, ':1');
    const p = producer(t, closedPort, bounded);
    assert.equal((await failure(p.start())).code, 'SETTINGS_TIMEOUT');
    assert.equal(broker.stats().calls.Telemetry, 0);
  });
});
