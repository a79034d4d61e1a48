import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RocketMQError } from '../../../src/errors.js';
import { EndpointIsolation } from '../../../src/producer/isolation.js';
import { createEndpoints, endpointKey } from '../../../src/rpc/endpoints.js';

const ep = (port: number) => createEndpoints('ipv4', [{ host: '10.0.0.1', port }]);

describe('endpoint isolation', () => {
  test('isolate / readmit by endpoints or key', () => {
    const iso = new EndpointIsolation();
    assert.equal(iso.isolate(ep(1)), true);
    assert.equal(iso.isolate(ep(1)), false, 'already isolated');
    assert.equal(iso.isIsolated(endpointKey(ep(1))), true);
    assert.equal(iso.isIsolated(endpointKey(ep(2))), false);
    assert.equal(iso.readmit(endpointKey(ep(1))), true);
    assert.equal(iso.readmit(ep(1)), false);
    assert.equal(iso.size, 0);
  });

  test('probe re-admits the endpoints whose heartbeat succeeds, keeps the others', async () => {
    const iso = new EndpointIsolation();
    iso.isolate(ep(1));
    iso.isolate(ep(2));
    const probed: number[] = [];
    const readmitted = await iso.probe(async (e) => {
      const port = e.addresses[0]!.port;
      probed.push(port);
      if (port === 2) throw new RocketMQError('down', 'UNAVAILABLE');
    });
    assert.deepEqual(probed.sort(), [1, 2]);
    assert.deepEqual(readmitted, [endpointKey(ep(1))]);
    assert.deepEqual(iso.keys, [endpointKey(ep(2))]);
    assert.deepEqual(await new EndpointIsolation().probe(async () => {}), [], 'nothing isolated: no probe');
  });

  test('clear', () => {
    const iso = new EndpointIsolation();
    iso.isolate(ep(3));
    iso.clear();
    assert.deepEqual(iso.keys, []);
  });
});
