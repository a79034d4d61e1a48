/**
 * The test-broker harness itself (testcontainers/): start, topics of every type, an ordered
 * consumer group, kill + restart on the same endpoint, stop without leftovers, and ACL that
 * really refuses a wrong secret.
 *
 * The lifecycle tests start a broker of their own (ignoring the runner's shared broker). When
 * ROCKETMQ_ENDPOINT names an external broker (not the runner's), they are skipped; with no way
 * to get a broker they are skipped, or fail when CI=true.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { AddressScheme, Code, MessageType } from '../../src/gen/apache/rocketmq/v2/definition_pb.js';
import { MessagingService, type QueryRouteResponse } from '../../src/gen/apache/rocketmq/v2/service_pb.js';
import { EnvBroker } from '../../testcontainers/env-broker.js';
import {
  type BrokerAdmin,
  type BrokerHandle,
  describeBrokerSource,
  JvmBroker,
  RouteProber,
  startBroker,
  type TopicType,
} from '../../testcontainers/index.js';
import { isCi, skipOrFailInCi } from '../helpers/ci.js';
import { RawClient } from '../helpers/raw-client.js';

const M = MessagingService.method;
const TYPES: TopicType[] = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'];
const log =
  process.env.ROCKETMQ_TS_HARNESS_LOG === '1' ? (l: string) => console.log(`[harness] ${l}`) : undefined;

const externalBroker = !!process.env.ROCKETMQ_ENDPOINT && process.env.ROCKETMQ_TS_SHARED_BROKER !== '1';

/**
 * Undefined when this file may start its own broker, else the reason to skip. With CI=true nothing
 * skips: an external ROCKETMQ_ENDPOINT is ignored (the file starts its own broker) and a machine that
 * cannot start one fails.
 */
async function skipReason(): Promise<string | undefined> {
  if (externalBroker && !isCi()) {
    return `ROCKETMQ_ENDPOINT=${process.env.ROCKETMQ_ENDPOINT} is an external broker; start/kill/restart/stop tests need a broker the harness owns (unset ROCKETMQ_ENDPOINT)`;
  }
  const source = await describeBrokerSource({ ignoreEnv: true });
  if (source.kind !== 'none') return undefined;
  if (process.env.CI === 'true') throw new Error(`CI=true requires a real broker: ${source.reason}`);
  return `no RocketMQ broker available: ${source.reason}`;
}

function name(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomUUID().slice(0, 6)}`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function adminOf(b: BrokerHandle): BrokerAdmin | undefined {
  return (b as { brokerAdmin?: BrokerAdmin }).brokerAdmin;
}

function messageId(): string {
  return `01${randomUUID().replace(/-/g, '')}`.toUpperCase();
}

function accessPoint(endpoint: string) {
  const i = endpoint.lastIndexOf(':');
  return {
    scheme: AddressScheme.IPv4,
    addresses: [{ host: endpoint.slice(0, i), port: Number(endpoint.slice(i + 1)) }],
  };
}

describe('test-broker harness: lifecycle and admin', () => {
  let broker: BrokerHandle | undefined;
  let skip: string | undefined;
  const topics = new Map<TopicType, string>();

  before(async () => {
    skip = await skipReason();
    if (skip) return;
    const started = Date.now();
    broker = await startBroker({ ignoreEnv: true, ...(log ? { log } : {}) });
    log?.(`started in ${Date.now() - started} ms`);
  });

  after(async () => {
    await broker?.stop();
  });

  test('endpoint and namesrv are loopback host:port', (t) => {
    if (!broker) return t.skip(skip);
    assert.match(broker.endpoint, /^127\.0\.0\.1:\d+$/);
    assert.match(broker.namesrv, /^127\.0\.0\.1:\d+$/);
    assert.equal(broker.acl, undefined);
  });

  test('createTopic applies message.type for all four types (proxy route + broker config + send check)', async (t) => {
    if (!broker) return t.skip(skip);
    for (const type of TYPES) {
      const topic = name(`harness_${type.toLowerCase()}`);
      const started = Date.now();
      await broker.createTopic(topic, type, { queues: 4 });
      log?.(`createTopic ${type} resolved in ${Date.now() - started} ms`);
      topics.set(type, topic);
    }
    const prober = new RouteProber(broker.endpoint);
    try {
      for (const [type, topic] of topics) {
        // Routable at once, and the proxy reports exactly the requested type for every queue.
        const r = await prober.queryRoute(topic);
        assert.equal(r.code, Code.OK, r.message);
        assert.equal(r.queueCount, 4, `${topic} queues`);
        assert.deepEqual(r.acceptMessageTypes, [type], `${topic} accept_message_types`);
        const admin = adminOf(broker);
        const config: { attributes: Record<string, string> } | undefined = admin
          ? await admin.getTopicConfig(topic)
          : undefined;
        if (config) assert.equal(config.attributes['message.type'], type, `${topic} broker attribute`);
      }
    } finally {
      prober.close();
    }

    // The type is enforced on send: a NORMAL message into the FIFO topic is refused in-band.
    const client = new RawClient(broker.endpoint);
    try {
      const send = (topic: string) =>
        client.unary(M.sendMessage, {
          messages: [
            {
              topic: { name: topic },
              body: Buffer.from('type check'),
              systemProperties: {
                messageId: messageId(),
                messageType: MessageType.NORMAL,
                bornTimestamp: timestampFromDate(new Date()),
                bornHost: 'harness-test',
              },
            },
          ],
        });
      const ok = await send(topics.get('NORMAL') as string);
      assert.equal(ok.status?.code, Code.OK, ok.status?.message);
      const refused = await send(topics.get('FIFO') as string);
      assert.equal(refused.status?.code, Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE, refused.status?.message);
    } finally {
      client.close();
    }
  });

  test('createConsumerGroup makes an ordered group with the retry limit', async (t) => {
    if (!broker) return t.skip(skip);
    const fifo = name('harness_fifo_group');
    const plain = name('harness_group');
    await broker.createConsumerGroup(fifo, { fifo: true, maxRetries: 2 });
    await broker.createConsumerGroup(plain);
    const admin = adminOf(broker);
    if (!admin) return skipOrFailInCi(t, 'no broker admin on this broker source');
    const f = await admin.getGroupConfig(fifo);
    assert.equal(f.consumeMessageOrderly, true);
    assert.equal(f.retryMaxTimes, 2);
    const p = await admin.getGroupConfig(plain);
    assert.equal(p.consumeMessageOrderly, false);
    assert.equal(p.retryMaxTimes, 16);
  });

  test('a topic looked up before it existed becomes routable within seconds', async (t) => {
    if (!broker) return t.skip(skip);
    const topic = name('harness_late');
    const prober = new RouteProber(broker.endpoint);
    try {
      const before = await prober.queryRoute(topic);
      assert.equal(before.code, Code.TOPIC_NOT_FOUND, before.message);
    } finally {
      prober.close();
    }
    const started = Date.now();
    await broker.createTopic(topic, 'FIFO');
    log?.(`createTopic after a negative lookup resolved in ${Date.now() - started} ms`);
    assert.ok(Date.now() - started < 15_000);
  });

  test('the env path (ROCKETMQ_ENDPOINT + ROCKETMQ_NAMESRV) creates topics through the namesrv', async (t) => {
    if (!broker) return t.skip(skip);
    const env = new EnvBroker(broker.endpoint, broker.namesrv, undefined);
    const topic = name('harness_env');
    await env.createTopic(topic, 'DELAY');
    const prober = new RouteProber(broker.endpoint);
    try {
      assert.deepEqual((await prober.queryRoute(topic)).acceptMessageTypes, ['DELAY']);
    } finally {
      prober.close();
    }
    await env.createConsumerGroup(name('harness_env_group'), { fifo: true });
    await assert.rejects(env.kill(), /ROCKETMQ_ENDPOINT/);
    await assert.rejects(env.restart(), /ROCKETMQ_ENDPOINT/);
    await env.stop(); // releases the handle only
    const noNamesrv = new EnvBroker(broker.endpoint, undefined, undefined);
    await assert.rejects(noNamesrv.createTopic(name('x'), 'NORMAL'), /ROCKETMQ_NAMESRV/);
  });

  test('kill() takes the proxy down; restart() brings it back ready on the same endpoint with the same store', async (t) => {
    if (!broker) return t.skip(skip);
    const endpoint = broker.endpoint;
    const fifoTopic = topics.get('FIFO') ?? name('harness_fifo2');
    if (!topics.has('FIFO')) await broker.createTopic(fifoTopic, 'FIFO');
    await broker.kill();
    const down = new RouteProber(endpoint);
    try {
      await assert.rejects(
        down.queryRoute(fifoTopic, { timeoutMs: 2000 }),
        (e: Error & { code?: number }) => {
          assert.ok(
            e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED,
            `expected UNAVAILABLE, got ${e.message}`,
          );
          return true;
        },
      );
    } finally {
      down.close();
    }
    const started = Date.now();
    await broker.restart();
    log?.(`restart() resolved in ${Date.now() - started} ms`);
    assert.equal(broker.endpoint, endpoint);
    const up = new RouteProber(endpoint);
    try {
      const r = await up.queryRoute(fifoTopic);
      assert.equal(r.code, Code.OK, r.message);
      assert.deepEqual(r.acceptMessageTypes, ['FIFO'], 'topic config survived the restart');
    } finally {
      up.close();
    }
  });

  test('stop() leaves no JVM running and removes the temp dir', async (t) => {
    if (!broker) return t.skip(skip);
    if (!(broker instanceof JvmBroker))
      return skipOrFailInCi(t, `pid/temp-dir checks apply to the JVM source, not ${broker.source}`);
    const pids = broker.pids;
    const root = broker.layout.root;
    assert.equal(pids.length, 2, 'namesrv + proxy JVMs alive before stop');
    assert.ok(existsSync(root));
    const started = Date.now();
    await broker.stop();
    log?.(`stop() resolved in ${Date.now() - started} ms`);
    for (const pid of pids) assert.equal(pidAlive(pid), false, `JVM ${pid} still alive`);
    assert.equal(existsSync(root), false, `${root} still exists`);
    const ps = spawnSync('pgrep', ['-f', root], { encoding: 'utf8' });
    assert.equal(ps.stdout.trim(), '', `processes still mention ${root}`);
    await broker.stop(); // idempotent
    broker = undefined;
  });
});

/** Signs like a 5.x client, independently of the harness's own signer. */
function signedMetadata(accessKey: string, secretKey: string | undefined): grpc.Metadata {
  const md = new grpc.Metadata();
  const dt = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z'); // yyyyMMdd'T'HHmmss'Z'
  md.set('x-mq-client-id', `harness-acl-${randomUUID()}`);
  md.set('x-mq-language', 'JAVA');
  md.set('x-mq-protocol', 'v2');
  md.set('x-mq-client-version', '5.0.8');
  md.set('x-mq-request-id', randomUUID());
  md.set('x-mq-date-time', dt);
  if (secretKey !== undefined) {
    const sig = createHmac('sha1', secretKey).update(dt).digest('hex').toUpperCase();
    md.set(
      'authorization',
      `MQv2-HMAC-SHA1 Credential=${accessKey}, SignedHeaders=x-mq-date-time, Signature=${sig}`,
    );
  }
  return md;
}

function queryRouteWith(endpoint: string, topic: string, md: grpc.Metadata): Promise<QueryRouteResponse> {
  const client = new grpc.Client(endpoint, grpc.credentials.createInsecure());
  const req = create(M.queryRoute.input, { topic: { name: topic }, endpoints: accessPoint(endpoint) });
  return new Promise<QueryRouteResponse>((resolve, reject) => {
    client.makeUnaryRequest(
      `/${MessagingService.typeName}/${M.queryRoute.name}`,
      (m: typeof req) => Buffer.from(toBinary(M.queryRoute.input, m)),
      (b: Buffer) => fromBinary(M.queryRoute.output, b),
      req,
      md,
      { deadline: Date.now() + 5000 },
      (err, res) => (err || !res ? reject(err ?? new Error('no response')) : resolve(res)),
    );
  }).finally(() => client.close());
}

describe('test-broker harness: ACL', () => {
  let broker: BrokerHandle | undefined;
  let skip: string | undefined;

  before(async () => {
    skip = await skipReason();
    if (skip) return;
    broker = await startBroker({ ignoreEnv: true, acl: true, ...(log ? { log } : {}) });
  });

  after(async () => {
    await broker?.stop();
  });

  test('a wrong secret is refused with UNAUTHORIZED (40100); the right one gets OK', async (t) => {
    if (!broker) return t.skip(skip);
    const acl = broker.acl;
    assert.ok(acl, 'handle.acl is set');
    const topic = name('harness_acl');
    await broker.createTopic(topic, 'NORMAL'); // admin over remoting must authenticate too
    await broker.createConsumerGroup(name('harness_acl_group'), { fifo: true });

    const right = await queryRouteWith(broker.endpoint, topic, signedMetadata(acl.accessKey, acl.secretKey));
    assert.equal(right.status?.code, Code.OK, right.status?.message);

    const wrong = await queryRouteWith(
      broker.endpoint,
      topic,
      signedMetadata(acl.accessKey, `${acl.secretKey}x`),
    );
    assert.equal(wrong.status?.code, Code.UNAUTHORIZED, wrong.status?.message);
    assert.equal(wrong.messageQueues.length, 0);

    const unknownUser = await queryRouteWith(broker.endpoint, topic, signedMetadata('nobody', acl.secretKey));
    assert.equal(unknownUser.status?.code, Code.UNAUTHORIZED, unknownUser.status?.message);

    const anonymous = await queryRouteWith(broker.endpoint, topic, signedMetadata('', undefined));
    assert.equal(anonymous.status?.code, Code.UNAUTHORIZED, anonymous.status?.message);
  });

  test('remoting admin with a wrong secret is refused as well', async (t) => {
    if (!broker) return t.skip(skip);
    if (!(broker instanceof JvmBroker))
      return skipOrFailInCi(t, `needs the broker's remoting port (JVM source), not ${broker.source}`);
    const { BrokerAdmin: Admin } = await import('../../testcontainers/remoting-admin.js');
    const bad = new Admin(`127.0.0.1:${broker.ports.broker}`, {
      accessKey: broker.acl?.accessKey ?? '',
      secretKey: 'wrong',
    });
    await assert.rejects(bad.createTopic(name('harness_acl_bad'), 'NORMAL'), /check signature failed/);
  });
});

describe('test-broker harness: external broker from ROCKETMQ_ENDPOINT', () => {
  let broker: BrokerHandle | undefined;
  // Runs against any broker named by the environment: an external one, or the runner's shared
  // broker (which every other integration file reaches through this same env path).
  const skip = process.env.ROCKETMQ_ENDPOINT
    ? undefined
    : 'ROCKETMQ_ENDPOINT is not set (`npm test` sets it to the shared broker)';

  before(async () => {
    if (!skip) broker = await startBroker(log ? { log } : {});
  });

  after(async () => {
    await broker?.stop(); // releases the handle only
  });

  test('creates typed topics through ROCKETMQ_NAMESRV; kill/restart are refused', async (t) => {
    if (!broker) return skipOrFailInCi(t, skip ?? 'no broker');
    assert.equal(broker.source, 'env');
    await assert.rejects(broker.kill(), /ROCKETMQ_ENDPOINT/);
    await assert.rejects(broker.restart(), /ROCKETMQ_ENDPOINT/);
    if (!broker.namesrv) return skipOrFailInCi(t, 'ROCKETMQ_NAMESRV is not set: createTopic is unavailable');
    const prober = new RouteProber(broker.endpoint);
    try {
      for (const type of TYPES) {
        const topic = name(`harness_ext_${type.toLowerCase()}`);
        await broker.createTopic(topic, type);
        const r = await prober.queryRoute(topic, { credentials: broker.acl });
        assert.equal(r.code, Code.OK, r.message);
        assert.deepEqual(r.acceptMessageTypes, [type]);
      }
    } finally {
      prober.close();
    }
    await broker.createConsumerGroup(name('harness_ext_group'), { fifo: true });
  });
});

describe('test-broker harness: no broker source', () => {
  test('startBroker() explains what to install when there is no Docker, Java or ROCKETMQ_ENDPOINT', () => {
    const bin = mkdtempSync(join(tmpdir(), 'rocketmq-ts-nobin-'));
    try {
      symlinkSync(process.execPath, join(bin, 'node'));
      const script = [
        "import { describeBrokerSource, startBroker } from './testcontainers/index.ts';",
        'const s = await describeBrokerSource();',
        'console.log(JSON.stringify(s));',
        'try { await startBroker(); console.log("STARTED"); } catch (e) { console.log("ERROR " + e.message); }',
      ].join('\n');
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: join(import.meta.dirname, '..', '..'),
        env: {
          PATH: bin,
          HOME: bin,
          ROCKETMQ_TS_CACHE: join(bin, 'cache'),
          DOCKER_HOST: 'unix:///nonexistent/docker.sock',
        },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const [first, second] = r.stdout.trim().split('\n');
      const source = JSON.parse(first ?? '{}') as { kind: string; reason: string };
      assert.equal(source.kind, 'none');
      assert.match(second ?? '', /^ERROR /);
      for (const hint of [/Java 17/, /Maven/, /Docker/, /ROCKETMQ_ENDPOINT/])
        assert.match(second ?? '', hint);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
