/**
 * The remoting protocol's frame (the TCP protocol of the name server and the brokers):
 *
 *   frame      = int32 length of everything after it | int32 headerInfo | header | body
 *   headerInfo = (serializeType << 24) | headerLength; serializeType 0 is JSON
 *   header     = JSON {code, language, version, opaque, flag, remark?, extFields}
 *
 * Flag bit 0 marks a response, which echoes the request's `opaque`.
 *
 * Requests are signed for ACL 2.0 the way the Java client's ACL hook does it: `AccessKey` joins the ext
 * fields, then `Signature` = Base64(HmacSHA1(secret, the values of all ext fields sorted by key, then the
 * body)).
 *
 * @packageDocumentation
 */

import { createHmac } from 'node:crypto';
import { RocketMQError } from '../../errors.js';

/** Credentials of a remoting request (ACL 2.0: the user name and its password). */
export interface RemotingCredentials {
  readonly accessKey: string;
  readonly secretKey: string;
}

/** What a request carries. */
export interface RemotingRequest {
  readonly code: number;
  readonly extFields: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | undefined;
}

/** A decoded response. */
export interface RemotingResponse {
  readonly code: number;
  readonly remark?: string | undefined;
  readonly extFields: Readonly<Record<string, string>>;
  readonly body?: Buffer | undefined;
}

/** A decoded frame (request or response). */
export interface RemotingFrame extends RemotingResponse {
  readonly opaque: number;
  readonly isResponse: boolean;
}

/** The protocol version sent in every header (`MQVersion.Version.V5_4_0.ordinal()`). */
export const REMOTING_CLIENT_VERSION = 722;
/** Largest frame accepted from a server. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
const RESPONSE_FLAG = 1;

/** The ext fields of a signed request (`AccessKey` and `Signature` added). */
export function signExtFields(
  extFields: Readonly<Record<string, string>>,
  body: Uint8Array | undefined,
  credentials: RemotingCredentials,
): Record<string, string> {
  const fields: Record<string, string> = { ...extFields, AccessKey: credentials.accessKey };
  // Java sorts the keys in a TreeMap: UTF-16 code-unit order, the order of a plain sort.
  const content = Object.keys(fields)
    .sort()
    .map((k) => fields[k])
    .join('');
  const hmac = createHmac('sha1', credentials.secretKey).update(Buffer.from(content, 'utf8'));
  if (body !== undefined && body.length > 0) hmac.update(body);
  return { ...fields, Signature: hmac.digest('base64') };
}

/** Encodes one request frame. */
export function encodeRequest(
  request: RemotingRequest,
  opaque: number,
  credentials?: RemotingCredentials,
): Buffer {
  const extFields = credentials
    ? signExtFields(request.extFields, request.body, credentials)
    : { ...request.extFields };
  const header = Buffer.from(
    JSON.stringify({
      code: request.code,
      language: 'JAVA',
      version: REMOTING_CLIENT_VERSION,
      opaque,
      flag: 0,
      extFields,
    }),
    'utf8',
  );
  const bodyLength = request.body?.length ?? 0;
  const out = Buffer.alloc(8 + header.length + bodyLength);
  out.writeInt32BE(4 + header.length + bodyLength, 0);
  out.writeInt32BE(header.length & 0xffffff, 4);
  header.copy(out, 8);
  if (request.body !== undefined) out.set(request.body, 8 + header.length);
  return out;
}

/**
 * Splits a byte stream into frames. `push` returns the complete frames found so far.
 *
 * @throws RocketMQError `INTERNAL` on a frame length out of range or a non-JSON header.
 */
export class FrameDecoder {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): RemotingFrame[] {
    this.buffered = this.buffered.length > 0 ? Buffer.concat([this.buffered, chunk]) : chunk;
    const out: RemotingFrame[] = [];
    while (this.buffered.length >= 4) {
      const length = this.buffered.readInt32BE(0);
      if (length < 4 || length > MAX_FRAME_BYTES) {
        throw new RocketMQError(`Remoting frame length ${length} out of range`, 'INTERNAL');
      }
      if (this.buffered.length < 4 + length) break;
      out.push(decodeFrame(this.buffered.subarray(4, 4 + length)));
      this.buffered = this.buffered.subarray(4 + length);
    }
    return out;
  }
}

function decodeFrame(frame: Buffer): RemotingFrame {
  const info = frame.readInt32BE(0);
  const type = (info >>> 24) & 0xff;
  const headerLength = info & 0xffffff;
  if (type !== 0 || 4 + headerLength > frame.length) {
    throw new RocketMQError(`Unsupported remoting header (serialize type ${type})`, 'INTERNAL');
  }
  const header = JSON.parse(frame.subarray(4, 4 + headerLength).toString('utf8')) as {
    code?: number;
    opaque?: number;
    flag?: number;
    remark?: string;
    extFields?: Record<string, string>;
  };
  const body = frame.length > 4 + headerLength ? Buffer.from(frame.subarray(4 + headerLength)) : undefined;
  return {
    code: header.code ?? -1,
    opaque: header.opaque ?? -1,
    isResponse: ((header.flag ?? 0) & RESPONSE_FLAG) !== 0,
    remark: header.remark ?? undefined,
    extFields: header.extFields ?? {},
    body,
  };
}
