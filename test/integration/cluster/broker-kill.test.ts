/**
 * SIGKILL of one broker master of a REAL cluster (two masters behind a cluster-mode proxy) while a
 * producer sends at ~50 msg/s with `maxAttempts` at its default: no send fails to the caller, sends
 * continue on the other broker, and every acknowledged message is consumed after the killed broker is
 * restarted on its store. In cluster mode the proxy picks the broker of a non-FIFO send itself (it
 * ignores the client's queue), so a retry lands on the dead broker again unless the proxy avoids it:
 * the harness starts every cluster proxy with `sendLatencyEnable=true` (its broker fault avoidance),
 * the setting the README asks cluster users to enable. The client also avoids a failing broker by name
 * (`src/producer/broker-avoidance.ts`) for proxies that honour its queue.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SimpleConsumer } from '../../../src/consumer/simple-consumer.js';
import { RocketMQError } from '../../../src/errors.js';
import type { MessageView } from '../../../src/model/message-view.js';
import { Producer } from '../../../src/producer/producer.js';
import type { JvmCluster } from '../../../testcontainers/index.js';
import { uniqueName } from '../../helpers/broker.js';
import { clusterOrReason } from '../../helpers/cluster.js';

describe('a broker master killed during sends (proxy sendLatencyEnable=true)', () => {
  let cluster: JvmCluster | undefined;
  let skipReason = '';
  const closers: Array<() => Promise<unknown>> = [];

  before(async () => {
    const c = await clusterOrReason({ brokers: 2, proxies: 1 });
    if (typeof c === 'string') skipReason = c;
    else cluster = c;
  });

  after(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await cluster?.stop();
  });

  test('no send fails to the caller; sends continue on the other broker; nothing acknowledged is lost after the restart', async (t) => {
    if (!cluster) return t.skip(skipReason);
    const topic = uniqueName('bk');
    const group = uniqueName('bk-g');
    await cluster.createTopic(topic, 'NORMAL', { queues: 4 });
    await cluster.createConsumerGroup(group);
    const brokerOf = new Map(
      cluster.masters.map((m, i) => [`127.0.0.1:${m.ports[1]}`, cluster!.brokerNames[i]!]),
    );
    const p = new Producer({ endpoints: cluster.endpoint, topics: [topic] });
    closers.push(() => p.shutdown({ timeoutMs: 2000 }));
    await p.start({ timeoutMs: 30_000 });

    const acked = new Map<string, number>(); // message id → send start time
    const failures: RocketMQError[] = [];
    let killedAt = 0;
    let stop = false;
    const loop = (async () => {
      for (let i = 0; !stop; i++) {
        const at = Date.now();
        try {
          acked.set((await p.send({ topic, body: `k${i}` })).messageId, at);
        } catch (e) {
          failures.push(RocketMQError.from(e));
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const sentBy = async (n: number) => {
      const until = Date.now() + 60_000;
      while (acked.size < n) {
        if (Date.now() > until) throw new Error(`only ${acked.size} of ${n} sends acknowledged in 60 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await sentBy(100);
    killedAt = Date.now();
    await cluster.masters[0]!.kill();
    const ackedAtKill = acked.size;
    await sentBy(ackedAtKill + 400);
    stop = true;
    await loop;
    const afterKill = [...acked.values()].filter((at) => at > killedAt).length;
    t.diagnostic(
      `acked ${acked.size} (${afterKill} begun after the kill); failed sends: ${failures.length}` +
        (failures.length
          ? ` (${[...new Set(failures.map((f) => `${f.code}: ${f.message.slice(0, 60)}`))].join('; ')})`
          : ''),
    );
    assert.deepEqual(
      failures.map((f) => `${f.code}: ${f.message}`),
      [],
      'no send failed to the caller (maxAttempts at its default)',
    );

    await cluster.masters[0]!.restart();
    const c = new SimpleConsumer({
      endpoints: cluster.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      awaitDurationMs: 5000,
    });
    closers.push(() => c.shutdown({ timeoutMs: 2000 }));
    await c.start({ timeoutMs: 30_000 });
    const got = new Map<string, MessageView>();
    const end = Date.now() + 90_000;
    while ([...acked.keys()].some((id) => !got.has(id)) && Date.now() < end) {
      for (const m of await c.receive(32, 20_000)) {
        got.set(m.messageId, m);
        await c.ack(m);
      }
    }
    const lost = [...acked.keys()].filter((id) => !got.has(id));
    assert.deepEqual(lost, [], 'every acknowledged message is consumed');
    const lateBrokers = new Set(
      [...acked.entries()]
        .filter(([, at]) => at > killedAt + 5000)
        .map(([id]) => brokerOf.get(got.get(id)?.storeHost ?? '')),
    );
    assert.deepEqual([...lateBrokers], ['broker-b'], 'while broker-a is down, sends go to broker-b');
  });
});
