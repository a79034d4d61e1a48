/**
 * A loopback server speaking the remoting frame, for admin unit tests: records every request and
 * answers from a handler (success with an empty body when the handler returns nothing).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { FrameDecoder, type RemotingFrame } from '../../../src/admin/remoting/frame.js';

export interface FakeAnswer {
  code?: number;
  remark?: string;
  extFields?: Record<string, string>;
  body?: string | Buffer;
  /** Never answer (to test deadlines). */
  silent?: boolean;
}

export class FakeRemotingServer {
  readonly requests: RemotingFrame[] = [];
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: Server) {}

  static async start(handler: (req: RemotingFrame) => FakeAnswer | undefined): Promise<FakeRemotingServer> {
    const server = createServer();
    const fake = new FakeRemotingServer(server);
    server.on('connection', (s) => {
      fake.sockets.add(s);
      s.on('close', () => fake.sockets.delete(s));
      const decoder = new FrameDecoder();
      s.on('data', (chunk: Buffer) => {
        for (const req of decoder.push(chunk)) {
          fake.requests.push(req);
          const a = handler(req) ?? {};
          if (a.silent) continue;
          s.write(encodeResponse(req.opaque, a));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get address(): string {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new Error('not listening');
    return `127.0.0.1:${a.port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function encodeResponse(opaque: number, a: FakeAnswer): Buffer {
  const header = Buffer.from(
    JSON.stringify({ code: a.code ?? 0, opaque, flag: 1, remark: a.remark, extFields: a.extFields ?? {} }),
  );
  const body = a.body === undefined ? Buffer.alloc(0) : Buffer.from(a.body);
  const out = Buffer.alloc(8 + header.length + body.length);
  out.writeInt32BE(4 + header.length + body.length, 0);
  out.writeInt32BE(header.length, 4);
  header.copy(out, 8);
  body.copy(out, 8 + header.length);
  return out;
}
