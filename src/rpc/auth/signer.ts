/**
 * Request signing of the `authorization` header. Pure: the time is an argument, so fixed vectors test it.
 *
 * The signed content is the `x-mq-date-time` header value; the key is the access secret; the MAC is
 * HMAC-SHA1, rendered as uppercase hex.
 *
 * @packageDocumentation
 */

import { createHmac } from 'node:crypto';
import { RocketMQError } from '../../errors.js';

/** Algorithm token at the start of the `authorization` header. */
export const SIGNATURE_ALGORITHM = 'MQv2-HMAC-SHA1';

/** The only header covered by the signature. */
export const SIGNED_HEADERS = 'x-mq-date-time';

/** Input of {@link sign}. */
export interface SignInput {
  readonly accessKey: string;
  readonly accessSecret: string;
  /** STS session token, sent as `x-mq-session-token` when non-blank. */
  readonly securityToken?: string | undefined;
  /** The exact `x-mq-date-time` value sent with the request (see {@link formatDateTime}). */
  readonly dateTime: string;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** The last second formatted by {@link formatDateTime} and its text. */
let lastSecond = Number.NaN;
let lastFormatted = '';

/**
 * Formats an instant as the `x-mq-date-time` value: `yyyyMMddTHHmmssZ` in UTC.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` for an invalid time value.
 */
export function formatDateTime(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  // Every request carries this header; requests of the same second share the string.
  if (second === lastSecond) return lastFormatted;
  const d = new Date(epochMs);
  if (Number.isNaN(d.getTime())) {
    throw new RocketMQError('Cannot format an invalid time value', 'INVALID_ARGUMENT');
  }
  const formatted =
    `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  lastSecond = second;
  lastFormatted = formatted;
  return formatted;
}

/** Uppercase hex HMAC-SHA1 of `content` keyed by `secret` (both as UTF-8). */
export function hmacSha1Hex(secret: string, content: string): string {
  return createHmac('sha1', Buffer.from(secret, 'utf8')).update(content, 'utf8').digest('hex').toUpperCase();
}

/** Printable ASCII without spaces; `,` and `/` are rejected separately (the server splits on them). */
const ACCESS_KEY_PATTERN = /^[\x21-\x7e]+$/;
const ACCESS_KEY_FORBIDDEN = /[,/]/;
/** Printable ASCII incl. space: a valid HTTP/2 header value. */
const HEADER_VALUE_PATTERN = /^[\x20-\x7e]*$/;

const isBlank = (s: string | undefined): boolean => s === undefined || s.trim() === '';

/**
 * Builds the authentication headers for one request.
 *
 * Returns `authorization` (and `x-mq-session-token` when a token is present) only when both the access
 * key and the access secret are non-blank; otherwise an empty record (anonymous request).
 *
 * @throws RocketMQError `INVALID_ARGUMENT` when the access key, token or date-time cannot be carried in a
 * header. The message never includes the secret or the token.
 */
export function sign(input: SignInput): Record<string, string> {
  const { accessKey, accessSecret, securityToken, dateTime } = input;
  if (isBlank(accessKey) || isBlank(accessSecret)) return {};
  if (!ACCESS_KEY_PATTERN.test(accessKey) || ACCESS_KEY_FORBIDDEN.test(accessKey)) {
    throw new RocketMQError(
      'accessKey must be printable ASCII without spaces, commas or "/"',
      'INVALID_ARGUMENT',
    );
  }
  if (dateTime === '' || !HEADER_VALUE_PATTERN.test(dateTime)) {
    throw new RocketMQError('dateTime must be a non-empty ASCII header value', 'INVALID_ARGUMENT');
  }
  const signature = hmacSha1Hex(accessSecret, dateTime);
  const headers: Record<string, string> = {
    authorization: `${SIGNATURE_ALGORITHM} Credential=${accessKey}, SignedHeaders=${SIGNED_HEADERS}, Signature=${signature}`,
  };
  if (!isBlank(securityToken)) {
    if (!HEADER_VALUE_PATTERN.test(securityToken!)) {
      throw new RocketMQError('securityToken must be printable ASCII', 'INVALID_ARGUMENT');
    }
    headers['x-mq-session-token'] = securityToken!;
  }
  return headers;
}
