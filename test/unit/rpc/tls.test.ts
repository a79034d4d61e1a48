/**
 * TLS against a loopback server with a self-signed certificate for "proxy.test" (fixtures/, valid for
 * 100 years): verification is on by default, `ca` + `serverName` make it pass, and
 * `rejectUnauthorized: false` turns it off explicitly.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { Code } from '../../../src/gen/apache/rocketmq/v2/definition_pb.js';
import { HeartbeatResponseSchema, MessagingService } from '../../../src/gen/apache/rocketmq/v2/service_pb.js';
import { RpcClient } from '../../../src/rpc/call.js';
import { ChannelPool, type TlsConfig } from '../../../src/rpc/channel-pool.js';
import { parseEndpoints } from '../../../src/rpc/endpoints.js';
import { type LoopbackServer, startLoopbackServer } from './loopback-server.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const cert = readFileSync(join(FIXTURES, 'server.crt'));
const key = readFileSync(join(FIXTURES, 'server.key'));

describe('TLS channels', () => {
  let server: LoopbackServer;

  before(async () => {
    server = await startLoopbackServer(
      {
        heartbeat: (_c: unknown, cb: grpc.sendUnaryData<unknown>) =>
          cb(null, create(HeartbeatResponseSchema, { status: { code: Code.OK, message: 'OK' } })),
      },
      grpc.ServerCredentials.createSsl(null, [{ private_key: key, cert_chain: cert }], false),
    );
  });

  after(async () => {
    await server.close();
  });

  async function heartbeat(tls: TlsConfig): Promise<unknown> {
    const pool = new ChannelPool({ tls });
    const rpc = new RpcClient({ pool, clientId: 'tls-test' });
    try {
      return await rpc.invoke(
        parseEndpoints(server.endpoint),
        MessagingService.method.heartbeat,
        {},
        { timeoutMs: 3_000 },
      );
    } finally {
      pool.close();
    }
  }

  test('trusted CA + serverName: the call succeeds', async () => {
    const res = (await heartbeat({ ca: cert, serverName: 'proxy.test' })) as { status?: { code: number } };
    assert.equal(res.status?.code, Code.OK);
  });

  test('verification is on by default: an untrusted certificate fails the call', async () => {
    await assert.rejects(heartbeat(true), { code: 'UNAVAILABLE' });
  });

  test('the host name is checked: the right CA with the wrong name fails', async () => {
    await assert.rejects(heartbeat({ ca: cert }), { code: 'UNAVAILABLE' });
  });

  test('rejectUnauthorized: false accepts the untrusted certificate', async () => {
    const res = (await heartbeat({ rejectUnauthorized: false })) as { status?: { code: number } };
    assert.equal(res.status?.code, Code.OK);
  });
});
