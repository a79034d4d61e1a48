/**
 * A deliberately thin gRPC client over the generated descriptors and @grpc/grpc-js, used by the
 * wire-compatibility integration tests (issue A) and the early demo. It has no retries, no
 * route cache and no telemetry state: it proves the protos, not the client. The library's real
 * transport lives in src/rpc/.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  create,
  type DescMessage,
  type DescMethodBiDiStreaming,
  type DescMethodServerStreaming,
  type DescMethodUnary,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';

export interface RawClientOptions {
  clientId?: string;
  accessKey?: string;
  secretKey?: string;
  /** Per-call deadline for unary calls. */
  timeoutMs?: number;
}

function dateTime(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

function pathOf(method: { name: string; parent: { typeName: string } }): string {
  return `/${method.parent.typeName}/${method.name}`;
}

export class RawClient {
  readonly clientId: string;
  private readonly client: grpc.Client;

  constructor(
    readonly endpoint: string,
    private readonly opts: RawClientOptions = {},
  ) {
    this.clientId = opts.clientId ?? `${hostname()}@${process.pid}@raw@${randomUUID().slice(0, 8)}`;
    this.client = new grpc.Client(endpoint, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    });
  }

  metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    const dt = dateTime();
    md.set('x-mq-language', 'JAVA');
    md.set('x-mq-protocol', 'v2');
    md.set('x-mq-client-version', '5.0.8');
    md.set('x-mq-client-id', this.clientId);
    md.set('x-mq-request-id', randomUUID());
    md.set('x-mq-date-time', dt);
    if (this.opts.accessKey && this.opts.secretKey) {
      const sig = createHmac('sha1', this.opts.secretKey).update(dt).digest('hex').toUpperCase();
      md.set(
        'authorization',
        `MQv2-HMAC-SHA1 Credential=${this.opts.accessKey}, SignedHeaders=x-mq-date-time, Signature=${sig}`,
      );
    }
    return md;
  }

  unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    init: MessageInitShape<I>,
    timeoutMs = this.opts.timeoutMs ?? 10_000,
  ): Promise<MessageShape<O>> {
    const req = create(method.input, init);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        pathOf(method),
        (m: MessageShape<I>) => Buffer.from(toBinary(method.input, m)),
        (b: Buffer) => fromBinary(method.output, b),
        req,
        this.metadata(),
        { deadline: Date.now() + timeoutMs },
        (err, res) => (err ? reject(err) : resolve(res as MessageShape<O>)),
      );
    });
  }

  /** Runs a server-streaming call to completion and returns every frame. */
  serverStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodServerStreaming<I, O>,
    init: MessageInitShape<I>,
    timeoutMs: number,
  ): Promise<MessageShape<O>[]> {
    const req = create(method.input, init);
    return new Promise((resolve, reject) => {
      const frames: MessageShape<O>[] = [];
      const call = this.client.makeServerStreamRequest(
        pathOf(method),
        (m: MessageShape<I>) => Buffer.from(toBinary(method.input, m)),
        (b: Buffer) => fromBinary(method.output, b),
        req,
        this.metadata(),
        { deadline: Date.now() + timeoutMs },
      );
      call.on('data', (f: MessageShape<O>) => frames.push(f));
      call.on('error', reject);
      call.on('end', () => resolve(frames));
    });
  }

  /** Opens a bidi stream; the caller writes frames and reads them with `next()`. */
  bidi<I extends DescMessage, O extends DescMessage>(method: DescMethodBiDiStreaming<I, O>) {
    const call = this.client.makeBidiStreamRequest(
      pathOf(method),
      (m: MessageShape<I>) => Buffer.from(toBinary(method.input, m)),
      (b: Buffer) => fromBinary(method.output, b),
      this.metadata(),
      {},
    );
    const queue: MessageShape<O>[] = [];
    const waiters: Array<{ resolve: (f: MessageShape<O>) => void; reject: (e: unknown) => void }> = [];
    let failure: unknown;
    call.on('data', (f: MessageShape<O>) => {
      const w = waiters.shift();
      if (w) w.resolve(f);
      else queue.push(f);
    });
    const fail = (e: unknown) => {
      failure = e;
      for (const w of waiters.splice(0)) w.reject(e);
    };
    call.on('error', fail);
    call.on('end', () => fail(new Error('stream ended')));
    return {
      write: (init: MessageInitShape<I>) => call.write(create(method.input, init)),
      next: (timeoutMs = 10_000): Promise<MessageShape<O>> => {
        const f = queue.shift();
        if (f) return Promise.resolve(f);
        if (failure) return Promise.reject(failure);
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            const i = waiters.findIndex((w) => w.resolve === done);
            if (i >= 0) waiters.splice(i, 1);
            reject(new Error(`no frame within ${timeoutMs} ms`));
          }, timeoutMs);
          const done = (fr: MessageShape<O>) => {
            clearTimeout(timer);
            resolve(fr);
          };
          waiters.push({
            resolve: done,
            reject: (e) => {
              clearTimeout(timer);
              reject(e);
            },
          });
        });
      },
      close: () => {
        call.end();
        call.cancel();
      },
    };
  }

  close(): void {
    this.client.close();
  }
}
