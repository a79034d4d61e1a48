/**
 * The `rocketmq-ts` CLI end to end against the in-process broker: each test spawns the executable
 * (src/cli/main.ts through tsx) with a clean environment, then checks its output, its exit code and
 * what the broker saw. A few cases run the CLI in-process (runCli with a fake io) where fake timers
 * decide the outcome (--wait).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../../src/cli/run.js';
import { Producer } from '../../../src/index.js';
import { InProcessBroker } from '../../../src/testing/index.js';
import { cli, show } from '../../helpers/cli-process.js';
import { fakeIo } from '../../helpers/fake-cli-io.js';

describe('rocketmq-ts CLI against the in-process broker', { concurrency: 2 }, () => {
  let broker: InProcessBroker;
  let aclBroker: InProcessBroker;
  let env: Record<string, string>;

  before(async () => {
    broker = await InProcessBroker.start();
    aclBroker = await InProcessBroker.start({ acl: { accessKey: 'cli-ak', secretKey: 'cli-sk' } });
    for (const t of ['rt', 'stdin', 'bench', 'interrupt', 'wait', 'route'])
      broker.createTopic(t, { type: 'NORMAL' });
    broker.createTopic('later', { type: 'DELAY' });
    aclBroker.createTopic('secured', { type: 'NORMAL' });
    for (const g of ['g-stdin', 'g-interrupt', 'g-wait']) broker.createConsumerGroup(g);
    env = { ROCKETMQ_ENDPOINT: broker.endpoint };
  });

  after(async () => {
    await broker.shutdown();
    await aclBroker.shutdown();
  });

  test('send with tag, keys and a property, then consume --json prints and acknowledges it', async (t) => {
    // A broker of its own, so that the ack count is this test's alone.
    const own = await InProcessBroker.start();
    t.after(() => own.shutdown());
    own.createTopic('rt', { type: 'NORMAL' });
    own.createConsumerGroup('g-rt');
    const ownEnv = { ROCKETMQ_ENDPOINT: own.endpoint };
    const sent = await cli(
      ['send', 'rt', 'hello cli', '--tag', 'created', '--keys', 'k1,k2', '--property', 'p=v'],
      {
        env: ownEnv,
      },
    );
    assert.equal(sent.code, 0, show(sent));
    const id = /^sent (\S+) to rt \(broker-0 queue \d+ offset \d+\)$/m.exec(sent.stdout)?.[1];
    assert.ok(id, show(sent));
    const got = await cli(['consume', 'rt', '--group', 'g-rt', '--count', '1', '--json'], { env: ownEnv });
    assert.equal(got.code, 0, show(got));
    const m = JSON.parse(got.stdout.trim()) as Record<string, unknown>;
    assert.equal(m.messageId, id);
    assert.equal(m.body, 'hello cli');
    assert.equal(m.tag, 'created');
    assert.deepEqual(m.keys, ['k1', 'k2']);
    assert.deepEqual(m.properties, { p: 'v' });
    assert.equal(m.deliveryAttempt, 1);
    assert.match(got.stderr, /received 1 message, 1 acknowledged/);
    const stats = own.stats();
    assert.equal(stats.acked, 1);
    assert.equal(stats.inflight, 0);
  });

  test('send --file - reads the body from stdin; --count sends copies; consume prints them as text', async () => {
    const sent = await cli(['send', 'stdin', '--file', '-', '--count', '3', '--json'], {
      env,
      input: 'from stdin',
    });
    assert.equal(sent.code, 0, show(sent));
    const receipts = sent.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { messageId: string; topic: string });
    assert.equal(new Set(receipts.map((r) => r.messageId)).size, 3);
    assert.ok(receipts.every((r) => r.topic === 'stdin'));
    const got = await cli(['consume', 'stdin', '-g', 'g-stdin', '-n', '3'], { env });
    assert.equal(got.code, 0, show(got));
    for (const r of receipts)
      assert.match(got.stdout, new RegExp(`^#\\d ${r.messageId} topic=stdin attempt=1 `, 'm'));
    assert.equal(got.stdout.match(/^from stdin$/gm)?.length, 3);
  });

  test('send --delay schedules a DELAY message; --delay on a NORMAL topic fails with a hint (exit 1)', async () => {
    const scheduled = broker.stats().scheduled;
    const ok = await cli(['send', 'later', 'wake up', '--delay', '10m'], { env });
    assert.equal(ok.code, 0, show(ok));
    assert.equal(broker.stats().scheduled, scheduled + 1);
    const wrong = await cli(['send', 'rt', 'x', '--delay', '10m'], { env });
    assert.equal(wrong.code, 1, show(wrong));
    assert.match(
      wrong.stderr,
      /\(MESSAGE_PROPERTY_CONFLICT_WITH_TYPE\)\nhint: topic "rt" accepts another message type/,
    );
  });

  test('route prints the queues as a table and as JSON', async () => {
    const table = await cli(['route', 'route'], { env });
    assert.equal(table.code, 0, show(table));
    assert.match(
      table.stdout,
      /^topic route: 4 queues on 1 broker\nBROKER +ID +QUEUE +PERMISSION +ENDPOINTS +MESSAGE TYPES\n/,
    );
    assert.equal(table.stdout.match(/^broker-0 +0 +\d +read-write +127\.0\.0\.1:\d+ +NORMAL$/gm)?.length, 4);
    const json = await cli(['route', 'route', '--json', '-e', broker.endpoint], { env: {} });
    assert.equal(json.code, 0, show(json));
    const route = JSON.parse(json.stdout) as {
      topic: string;
      queues: Array<{ queueId: number; endpoints: string[] }>;
    };
    assert.equal(route.topic, 'route');
    assert.deepEqual(route.queues.map((q) => q.queueId).sort(), [0, 1, 2, 3]);
    assert.deepEqual(route.queues[0]!.endpoints, [broker.endpoint]);
  });

  test('bench sends --count messages with progress lines and a summary', async () => {
    const stored = broker.stats().stored;
    const run = await cli(
      ['bench', 'bench', '-n', '300', '-c', '8', '-s', '256', '--progress-interval', '1ms'],
      { env },
    );
    assert.equal(run.code, 0, show(run));
    assert.match(run.stderr, /^bench: 300 messages of 256 B to bench, concurrency 8$/m);
    assert.match(
      run.stderr,
      /^\[\d+\.\ds\] \d+\/300 \(\d+%\) {2}[\d.]+ msg\/s now, [\d.]+ msg\/s avg, [\d.]+ MiB\/s, 0 failed$/m,
    );
    assert.match(
      run.stdout,
      /^sent 300 messages of 256 B in [\d.]+ s: [\d.]+ msg\/s, [\d.]+ MiB\/s; 0 failed$/m,
    );
    assert.match(
      run.stdout,
      /^latency ms: min [\d.]+ {2}p50 [\d.]+ {2}p90 [\d.]+ {2}p99 [\d.]+ {2}max [\d.]+ {2}mean [\d.]+$/m,
    );
    assert.equal(broker.stats().stored, stored + 300);
    const json = await cli(['bench', 'bench', '-n', '20', '--json', '--no-progress'], { env });
    assert.equal(json.code, 0, show(json));
    const summary = JSON.parse(json.stdout) as { succeeded: number; failed: number; sizeBytes: number };
    assert.deepEqual([summary.succeeded, summary.failed, summary.sizeBytes], [20, 0, 1024]);
    assert.doesNotMatch(json.stderr, /msg\/s now/);
  });

  test('a topic that does not exist: exit 5 and how to create it', async () => {
    for (const args of [
      ['send', 'missing-topic', 'x'],
      ['route', 'missing-topic'],
      ['bench', 'missing-topic', '-n', '5'],
    ]) {
      const r = await cli(args, { env });
      assert.equal(r.code, 5, show(r));
      assert.match(
        r.stderr,
        /\(TOPIC_NOT_FOUND\)\nhint: topic "missing-topic" does not exist: create it first/,
      );
    }
  });

  test('an endpoint nobody listens on: exit 3 and what to check', async () => {
    const r = await cli(['send', 'rt', 'x', '-e', '127.0.0.1:1', '--request-timeout', '200ms'], { env: {} });
    assert.equal(r.code, 3, show(r));
    assert.match(
      r.stderr,
      /^error: .*\((SETTINGS_TIMEOUT|UNAVAILABLE)\)\nhint: cannot reach 127\.0\.0\.1:1: check that a RocketMQ 5\.x proxy listens there/m,
    );
  });

  test('authentication: missing or wrong credentials exit 4 with a hint; env credentials work', async () => {
    const endpoint = { ROCKETMQ_ENDPOINT: aclBroker.endpoint };
    const anonymous = await cli(['send', 'secured', 'x', '--request-timeout', '500ms'], { env: endpoint });
    assert.equal(anonymous.code, 4, show(anonymous));
    assert.match(
      anonymous.stderr,
      /hint: the proxy requires authentication: pass --access-key and --secret-key/,
    );
    const wrong = await cli(
      [
        'send',
        'secured',
        'x',
        '--access-key',
        'cli-ak',
        '--secret-key',
        'nope',
        '--request-timeout',
        '500ms',
      ],
      { env: endpoint },
    );
    assert.equal(wrong.code, 4, show(wrong));
    assert.match(wrong.stderr, /hint: the proxy refused the credentials/);
    const ok = await cli(['send', 'secured', 'x'], {
      env: { ...endpoint, ROCKETMQ_ACCESS_KEY: 'cli-ak', ROCKETMQ_SECRET_KEY: 'cli-sk' },
    });
    assert.equal(ok.code, 0, show(ok));
  });

  test('usage errors exit 2 and point to --help; --help and --version exit 0 (in-process)', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['send', 'rt', 'x'], {}, /no endpoint: pass --endpoint host:port or set ROCKETMQ_ENDPOINT/],
      [['consume', 'rt'], env, /missing --group/],
      [['send', 'rt', 'x', '--bogus'], env, /Unknown option '--bogus'[\s\S]*run "rocketmq-ts send --help"/],
      [['send', 'rt'], env, /missing body/],
      [['bench', 'rt', '--size', 'huge'], env, /--size must be a size/],
      [
        ['publish', 'rt'],
        env,
        /unknown command "publish"\nhint: the commands are send, consume, route, bench/,
      ],
    ];
    for (const [args, e, re] of cases) {
      const io = fakeIo(e);
      assert.equal(await runCli(args, io), 2, `${args.join(' ')}: ${io.err.join('')}`);
      assert.match(io.err.join(''), re);
      assert.deepEqual(io.out, []);
    }
    const help = fakeIo();
    assert.equal(await runCli(['consume', '--help'], help), 0);
    assert.match(help.out.join(''), /^Usage: rocketmq-ts consume <topic> --group <group>/);
    assert.match(help.out.join(''), /ROCKETMQ_ENDPOINT/);
    const top = fakeIo();
    assert.equal(await runCli([], top), 2);
    assert.match(top.out.join(''), /Commands:\n {2}send .*\n {2}consume .*\n {2}route .*\n {2}bench /);
    assert.match(top.out.join(''), /Exit codes:/);
    const version = fakeIo();
    assert.equal(await runCli(['--version'], version), 0);
    assert.match(version.out.join(''), /^\d+\.\d+\.\d+\n$/);
  });

  test('a usage error in the spawned executable exits 2', async () => {
    const r = await cli(['consume', 'rt'], { env });
    assert.equal(r.code, 2, show(r));
    assert.match(
      r.stderr,
      /^error: missing --group <consumer group> \(INVALID_ARGUMENT\)\nusage: run "rocketmq-ts consume --help"\n$/,
    );
  });

  test('Ctrl-C stops a running consume gracefully: exit 130', async () => {
    const r = await cli(['consume', 'interrupt', '-g', 'g-interrupt'], {
      env,
      onStderr: {
        re: /consuming interrupt as g-interrupt \(Ctrl-C to stop\)/,
        run: (child) => child.kill('SIGINT'),
      },
    });
    assert.equal(r.code, 130, show(r));
    assert.match(r.stderr, /received 0 messages, 0 acknowledged/);
  });

  test('consume --count with --wait: exit 1 when the time passes first (in-process, fake timers)', async () => {
    const io = fakeIo({ ROCKETMQ_ENDPOINT: broker.endpoint });
    const run = runCli(['consume', 'wait', '-g', 'g-wait', '--count', '2', '--wait', '30s'], io);
    await io.waitFor('err', /consuming wait as g-wait, 2 messages, at most 30s/);
    const producer = new Producer({ endpoints: broker.endpoint, topics: ['wait'] });
    try {
      await producer.start();
      await producer.send({ topic: 'wait', body: 'only one' });
    } finally {
      await producer.shutdown();
    }
    await io.waitFor('out', /^#1 \S+ topic=wait .*\nonly one\n$/);
    io.timers.fireTimeouts();
    assert.equal(await run, 1);
    assert.match(
      io.err.join(''),
      /received 1 message, 1 acknowledged\nerror: received 1 of 2 messages within 30s\n$/,
    );
    assert.equal(io.timers.pending, 0);
  });

  test('lite topics: send --lite-topic, then consume --lite prints only that lite topic and acknowledges it (in-process)', async (t) => {
    const own = await InProcessBroker.start();
    t.after(() => own.shutdown());
    own.createTopic('chat', { type: 'LITE' });
    own.createConsumerGroup('g-chat', { liteBindTopic: 'chat' });
    const ownEnv = { ROCKETMQ_ENDPOINT: own.endpoint };
    for (const [lite, body] of [
      ['other', 'not for us'],
      ['s42', 'hello lite'],
    ] as const) {
      const io = fakeIo(ownEnv);
      assert.equal(await runCli(['send', 'chat', body, '--lite-topic', lite], io), 0, io.err.join(''));
      assert.match(io.out.join(''), /^sent \S+ to chat /);
    }
    const io = fakeIo(ownEnv);
    const code = await runCli(
      ['consume', 'chat', '-g', 'g-chat', '--lite', 's42', '--lite-offset', 'min', '-n', '1', '--json'],
      io,
    );
    assert.equal(code, 0, io.err.join(''));
    const lines = io.out.join('').trim().split('\n');
    assert.equal(lines.length, 1, io.out.join(''));
    const m = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(m.topic, 'chat');
    assert.equal(m.liteTopic, 's42');
    assert.equal(m.body, 'hello lite');
    assert.match(io.err.join(''), /consuming chat lite s42 as g-chat, 1 message/);
    assert.match(io.err.join(''), /received 1 message\n$/);
    assert.equal(own.stats().acked, 1, 'acknowledged before the consumer shut down');
    assert.equal(io.timers.pending, 0);
  });

  test('consume --lite: options that do not go with it are usage errors (exit 2)', async () => {
    for (const [args, re] of [
      [['--lite', 's', '--tag', 'x'], /--tag does not go with --lite/],
      [['--lite', 's', '--no-ack'], /--no-ack does not go with --lite/],
      [['--lite-offset', 'min'], /--lite-offset needs --lite/],
      [['--lite', 's', '--lite-offset', 'first'], /--lite-offset must be last, min or max, got "first"/],
    ] as const) {
      const io = fakeIo({ ROCKETMQ_ENDPOINT: broker.endpoint });
      assert.equal(await runCli(['consume', 'chat', '-g', 'g', ...args], io), 2, args.join(' '));
      assert.match(io.err.join(''), re);
    }
  });
});
