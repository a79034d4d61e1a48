/**
 * `rocketmq-ts/admin` against a REAL RocketMQ 5.x broker (the runner's shared one): each operation is
 * checked by what the broker does afterwards. The behaviours shared with the in-process broker's admin
 * (FIFO topic, group settings, lag and reset, message lookup, dead letters) are in
 * `test/helpers/admin-behaviours.ts`; the cluster listing and the CLI are checked here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import { Admin } from '../../src/admin/index.js';
import { runCli } from '../../src/cli/run.js';
import { SimpleConsumer } from '../../src/consumer/simple-consumer.js';
import { Registry } from '../../src/managed/registry.js';
import { Producer } from '../../src/producer/producer.js';
import type { BrokerHandle } from '../../testcontainers/index.js';
import { releaseSharedBroker, sharedBroker, uniqueName } from '../helpers/broker.js';
import { adminBehaviours, eventually } from '../helpers/admin-behaviours.js';
import { fakeIo } from '../helpers/fake-cli-io.js';
import { waitFor, waitUntil } from '../helpers/wait-for.js';

const AWAIT_MS = 5_000;
const INVISIBLE_MS = 10_000;

describe('Admin against a real RocketMQ 5.x broker', () => {
  let broker: BrokerHandle | undefined;
  let skipReason = '';
  let admin: Admin;

  before(async () => {
    const b = await sharedBroker();
    if (typeof b === 'string') {
      skipReason = `no RocketMQ broker available: ${b}`;
      return;
    }
    if (!b.namesrv) {
      skipReason = 'the broker has no known name server (set ROCKETMQ_NAMESRV)';
      if (process.env.CI === 'true') throw new Error(skipReason);
      return;
    }
    broker = b;
    admin = new Admin({
      namesrv: b.namesrv,
      ...(b.acl ? { credentials: { accessKey: b.acl.accessKey, accessSecret: b.acl.secretKey } } : {}),
    });
    await admin.start();
  });

  after(async () => {
    await admin?.shutdown({ timeoutMs: 5_000 });
    await releaseSharedBroker();
  });

  function clientOptions() {
    const acl = broker?.acl;
    return {
      endpoints: broker!.endpoint,
      ...(acl ? { credentials: { accessKey: acl.accessKey, accessSecret: acl.secretKey } } : {}),
    };
  }

  async function producerFor(t: TestContext, topic: string): Promise<Producer> {
    const p = new Producer({ ...clientOptions(), topics: [topic] });
    t.after(() => p.shutdown());
    await p.start();
    return p;
  }

  async function consumerFor(t: TestContext, group: string, topic: string): Promise<SimpleConsumer> {
    const c = new SimpleConsumer({
      ...clientOptions(),
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      awaitDurationMs: AWAIT_MS,
    });
    t.after(() => c.shutdown());
    await c.start();
    return c;
  }

  test('cluster lists the master with its address, role and version', async (t) => {
    if (!broker) return t.skip(skipReason);
    const brokers = await admin.cluster();
    const master = brokers.find((b) => b.role === 'MASTER');
    assert.ok(master, JSON.stringify(brokers));
    assert.match(master.address, /^[\d.]+:\d+$/);
    assert.match(master.version ?? '', /^V5_/);
  });

  adminBehaviours({
    skipReason: () => (broker ? undefined : skipReason),
    admin: () => admin,
    clientOptions,
    awaitMs: AWAIT_MS,
    invisibleMs: INVISIBLE_MS,
  });

  test('CLI: topic create/describe, group create, lag --watch redraws, offset reset --dry-run, dlq list of a group without one exits 5', async (t) => {
    if (!broker) return t.skip(skipReason);
    const env = {
      ROCKETMQ_NAMESRV: broker.namesrv,
      ...(broker.acl
        ? { ROCKETMQ_ACCESS_KEY: broker.acl.accessKey, ROCKETMQ_SECRET_KEY: broker.acl.secretKey }
        : {}),
    };
    const topic = uniqueName('adm-cli');
    const group = uniqueName('adm-cli-g');
    const run = async (...argv: string[]) => {
      const io = fakeIo(env);
      const code = await runCli(argv, io);
      return { code, out: io.out.join(''), err: io.err.join('') };
    };
    const created = await run('topic', 'create', topic, '--type', 'fifo', '--queues', '2');
    assert.equal(created.code, 0, created.err);
    assert.match(created.out, /BROKER\s+ADDRESS\s+RESULT\n\S+\s+\S+\s+ok/);
    const described = await run('topic', 'describe', topic, '--json');
    assert.equal(described.code, 0, described.err);
    const d = JSON.parse(described.out) as { type: string; queues: unknown[] };
    assert.equal(d.type, 'FIFO');
    assert.equal(d.queues.length, 2);
    assert.equal((await run('group', 'create', group, '--fifo', '--max-attempts', '3')).code, 0);
    assert.match((await run('group', 'describe', group)).out, /fifo true\s+max attempts 3/);
    const producer = await producerFor(t, topic);
    await producer.send({ topic, body: 'x', messageGroup: 'm' });
    await consumerFor(t, group, topic);
    await eventually('lag 1 in the CLI', 30_000, async () => {
      const r = await run('lag', group, '--topic', topic, '--json');
      return r.code === 0 && (JSON.parse(r.out) as { totalLag: number }).totalLag === 1 ? r : undefined;
    });

    const io = fakeIo(env);
    const watching = runCli(['lag', group, '--topic', topic, '--watch'], io);
    await Promise.race([
      io.waitFor('out', /total lag/),
      watching.then((code) => assert.fail(`lag --watch ended (${code}): ${io.err.join('')}`)),
    ]);
    assert.match(io.out.join(''), /total lag 1\b/);
    const draws = () => io.out.join('').split('total lag').length - 1;
    assert.equal(draws(), 1);
    await waitUntil(() => io.timers.pending > 0, 10_000, 'the watch to wait for its next draw');
    io.timers.fireTimeouts();
    await waitUntil(() => draws() === 2, 10_000, 'the second draw');
    await waitUntil(() => io.timers.pending > 0, 10_000, 'the watch to wait again');
    io.interrupt();
    assert.equal(await watching, 0);

    const dry = await run('offset', 'reset', group, topic, '--to', '0', '--dry-run');
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /^dry run: /);
    const noDlq = await run('dlq', 'list', group);
    assert.equal(noDlq.code, 5, noDlq.err);
    assert.match(noDlq.err, /TOPIC_NOT_FOUND/);
    assert.equal((await run('topic', 'delete', topic)).code, 0);
  });

  test('managed ensure: a registry creates its missing FIFO topic and FIFO group through Admin, messages flow; a topic of another type fails PRECONDITION_FAILED', async (t) => {
    if (!broker) return t.skip(skipReason);
    const topic = uniqueName('adm-ens');
    const group = uniqueName('adm-ens-g');
    const registry = new Registry({ drainTimeoutMs: 2_000, ensure: { admin } });
    t.after(() => registry.shutdownAll({ timeoutMs: 2_000 }));
    const seen: string[] = [];
    const w = waitFor(() => seen.length === 1, 60_000, 'the message');
    const { endpoints: endpoint, credentials } = clientOptions();
    const access = credentials
      ? { accessKey: credentials.accessKey, accessSecret: credentials.accessSecret }
      : {};
    registry.registerConsumer(
      { jobName: 'ens', topic, endpoint, consumerGroup: group, topicType: 'FIFO', ...access },
      (_ctx, m) => {
        seen.push(m.body.toString());
        w.poke();
      },
    );
    const report = await registry.startAllConsumers();
    assert.deepEqual(report, { createdTopics: [topic], createdGroups: [group], mismatches: [] });
    assert.equal((await admin.describeTopic(topic)).type, 'FIFO');
    assert.equal((await admin.describeGroup(group)).fifo, true);
    const producer = await registry.registerProducer({
      endpoint,
      topics: [topic],
      topicTypes: { [topic]: 'FIFO' },
      ...access,
    });
    await producer.send({ topic, body: 'ensured', messageGroup: 'm' });
    await w.done;
    assert.deepEqual(seen, ['ensured']);

    const other = new Registry({ ensure: { admin } });
    t.after(() => other.shutdownAll({ timeoutMs: 2_000 }));
    await assert.rejects(other.registerProducer({ endpoint, topics: [topic], ...access }), {
      code: 'PRECONDITION_FAILED',
    });
  });
});
