/**
 * A minimal client for RocketMQ's *remoting* protocol (the TCP protocol of namesrv and broker),
 * enough for admin calls from tests. Facts from apache/rocketmq `RemotingCommand`:
 *
 *   frame  = int32 length (everything after this field) | int32 headerInfo | header | body
 *   headerInfo = (serializeType << 24) | headerLength, serializeType 0 = JSON
 *   header = JSON {code, language, version, opaque, flag, remark?, extFields}
 *   flag bit 0 = response, bit 1 = oneway; responses echo the request's opaque.
 *
 * With ACL 2.0 the broker authenticates remoting requests from extFields `AccessKey` and
 * `Signature` = Base64(HmacSHA1(secret, values of all other extFields sorted by key, then body))
 * (`AclClientRPCHook`, `AclUtils.combineRequestContent`, `DefaultAuthenticationContextBuilder`).
 */
import { createHmac } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** `MQVersion.Version.V5_4_0.ordinal()`. */
const CLIENT_VERSION = 722;
const RESPONSE_FLAG = 1;
const MAX_FRAME = 64 * 1024 * 1024;

export interface RemotingCredentials {
  accessKey: string;
  secretKey: string;
}

export interface RemotingResponse {
  code: number;
  remark?: string;
  extFields: Record<string, string>;
  body?: Buffer;
}

interface Pending {
  resolve: (r: RemotingResponse) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** Signs a request the way `AclClientRPCHook` does; returns the extFields to send. */
export function signExtFields(
  extFields: Record<string, string>,
  body: Buffer | undefined,
  creds: RemotingCredentials,
): Record<string, string> {
  const fields: Record<string, string> = { ...extFields, AccessKey: creds.accessKey };
  // Java's TreeMap<String,...> order = UTF-16 code-unit order, which is what a plain sort does.
  const keys = Object.keys(fields).sort();
  const content = keys.map((k) => fields[k]).join('');
  const hmac = createHmac('sha1', creds.secretKey).update(Buffer.from(content, 'utf8'));
  if (body && body.length > 0) hmac.update(body);
  return { ...fields, Signature: hmac.digest('base64') };
}

export function encodeFrame(header: Record<string, unknown>, body?: Buffer): Buffer {
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const bodyLen = body?.length ?? 0;
  const out = Buffer.alloc(8 + h.length + bodyLen);
  out.writeInt32BE(4 + h.length + bodyLen, 0);
  out.writeInt32BE(h.length & 0xffffff, 4); // serialize type JSON (0) in the high byte
  h.copy(out, 8);
  if (body) body.copy(out, 8 + h.length);
  return out;
}

/**
 * fastjson writes maps with integer keys unquoted (`{0:"127.0.0.1:10911"}`); quote such keys so
 * `JSON.parse` accepts the text. Only touches text outside string literals.
 */
export function parseLenientJson(text: string): unknown {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[i + 1] ?? '';
        i++;
      } else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    if (c === '{' || c === ',') {
      out += c;
      const m = /^(\s*)(-?\d+)(\s*):/.exec(text.slice(i + 1, i + 40));
      if (m) {
        out += `${m[1]}"${m[2]}"${m[3]}:`;
        i += m[0].length;
      }
      continue;
    }
    out += c;
  }
  return JSON.parse(out);
}

export class RemotingClient {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly pending = new Map<number, Pending>();
  private nextOpaque = 1;
  private closedError: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly address: string,
    private readonly credentials: RemotingCredentials | undefined,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error(`remoting connection to ${address} closed`)));
  }

  static connect(
    address: string,
    opts: { timeoutMs?: number; credentials?: RemotingCredentials | undefined } = {},
  ): Promise<RemotingClient> {
    const i = address.lastIndexOf(':');
    const host = address.slice(0, i);
    const port = Number(address.slice(i + 1));
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${address} timed out`));
      }, opts.timeoutMs ?? 5000);
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        resolve(new RemotingClient(socket, address, opts.credentials));
      });
    });
  }

  invoke(
    code: number,
    extFields: Record<string, string> = {},
    body?: Buffer,
    timeoutMs = 5000,
  ): Promise<RemotingResponse> {
    if (this.closedError) return Promise.reject(this.closedError);
    const opaque = this.nextOpaque++;
    const fields = this.credentials ? signExtFields(extFields, body, this.credentials) : extFields;
    const header = { code, language: 'JAVA', version: CLIENT_VERSION, opaque, flag: 0, extFields: fields };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(opaque);
        reject(new Error(`remoting request code ${code} to ${this.address} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(opaque, { resolve, reject, timer });
      this.socket.write(encodeFrame(header, body));
    });
  }

  close(): void {
    this.fail(new Error('remoting client closed'));
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    while (this.buffered.length >= 4) {
      const len = this.buffered.readInt32BE(0);
      if (len < 4 || len > MAX_FRAME) {
        this.fail(new Error(`bad remoting frame length ${len} from ${this.address}`));
        this.socket.destroy();
        return;
      }
      if (this.buffered.length < 4 + len) return;
      const frame = this.buffered.subarray(4, 4 + len);
      this.buffered = this.buffered.subarray(4 + len);
      this.onFrame(frame);
    }
  }

  private onFrame(frame: Buffer): void {
    const info = frame.readInt32BE(0);
    const type = (info >>> 24) & 0xff;
    const headerLen = info & 0xffffff;
    if (type !== 0) {
      this.fail(new Error(`unsupported remoting serialize type ${type} from ${this.address}`));
      return;
    }
    const header = JSON.parse(frame.subarray(4, 4 + headerLen).toString('utf8')) as {
      code: number;
      opaque: number;
      flag?: number;
      remark?: string;
      extFields?: Record<string, string>;
    };
    const body = frame.length > 4 + headerLen ? Buffer.from(frame.subarray(4 + headerLen)) : undefined;
    if (((header.flag ?? 0) & RESPONSE_FLAG) === 0) return; // server-initiated request: ignore
    const p = this.pending.get(header.opaque);
    if (!p) return;
    this.pending.delete(header.opaque);
    clearTimeout(p.timer);
    const res: RemotingResponse = { code: header.code, extFields: header.extFields ?? {} };
    if (header.remark !== undefined) res.remark = header.remark;
    if (body) res.body = body;
    p.resolve(res);
  }

  private fail(e: Error): void {
    this.closedError ??= e;
    for (const [opaque, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(opaque);
      p.reject(e);
    }
  }
}
