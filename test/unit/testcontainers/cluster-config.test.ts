/**
 * The cluster harness's pure parts: port picking (no two JVMs share a port, every broker triple is
 * free) and the configs each JVM gets (roles, names, cluster mode, ports from the request).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clusterBrokerProperties, clusterProxyJson } from '../../../testcontainers/configs.js';
import { isPortFree, pickClusterPorts } from '../../../testcontainers/ports.js';

describe('pickClusterPorts', () => {
  test('every port of a 2-master, 2-slave, 2-proxy cluster is distinct and free', async () => {
    const p = await pickClusterPorts(4, 2);
    const all = [
      p.namesrv,
      ...p.brokers.flatMap((l) => [l - 2, l, l + 1]),
      ...p.proxies.flatMap((x) => [x.grpc, x.remoting]),
    ];
    assert.equal(p.brokers.length, 4);
    assert.equal(p.proxies.length, 2);
    assert.equal(new Set(all).size, all.length, `distinct: ${all}`);
    for (const port of all) assert.ok(await isPortFree(port), `port ${port} free after picking`);
  });
});

describe('cluster configs', () => {
  const parse = (props: string) =>
    Object.fromEntries(
      props
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );

  test('a master and its slave share the broker name; role and id differ', () => {
    const base = { brokerName: 'broker-a', listenPort: 20000, namesrvPort: 9876, store: '/tmp/s' };
    const master = parse(clusterBrokerProperties({ ...base, brokerId: 0 }));
    const slave = parse(clusterBrokerProperties({ ...base, brokerId: 1, listenPort: 20010 }));
    assert.equal(master.brokerRole, 'ASYNC_MASTER');
    assert.equal(master.brokerId, '0');
    assert.equal(slave.brokerRole, 'SLAVE');
    assert.equal(slave.brokerId, '1');
    assert.equal(slave.brokerName, master.brokerName);
    assert.equal(master.brokerIP1, '127.0.0.1');
    assert.equal(master.namesrvAddr, '127.0.0.1:9876');
    assert.equal(slave.listenPort, '20010');
  });

  test('a proxy runs in cluster mode with its own name and the ports from the request', () => {
    const cfg = JSON.parse(
      clusterProxyJson({ proxyName: 'proxy-1', grpcPort: 18081, remotingPort: 18080, namesrvPort: 9876 }),
    ) as Record<string, unknown>;
    assert.equal(cfg.proxyMode, 'cluster');
    assert.equal(cfg.proxyName, 'proxy-1');
    assert.equal(cfg.grpcServerPort, 18081);
    assert.equal(cfg.remotingListenPort, 18080);
    assert.equal(cfg.useEndpointPortFromRequest, true);
    assert.equal(cfg.namesrvAddr, '127.0.0.1:9876');
  });
});
