/**
 * Server-side check of the `authorization` header, following the Apache auth module's parsing:
 * `MQv2-HMAC-SHA1 Credential=<ak>[/…], SignedHeaders=x-mq-date-time, Signature=<hex>`,
 * signature = HMAC-SHA1(secret, value of `x-mq-date-time`), compared case-insensitively (hex-decoded).
 *
 * @packageDocumentation
 */

import { createHmac, timingSafeEqual } from 'node:crypto';

/** One access key / secret key pair accepted by the broker. */
export interface AclCredential {
  /** The access key clients sign with. */
  readonly accessKey: string;
  /** The secret key that verifies their signatures. */
  readonly secretKey: string;
}

/** Result of {@link verifyAuthorization}: `undefined` when the request is authenticated. */
export type AuthFailure = { readonly message: string };

const HEX = /^[0-9a-fA-F]*$/;

/** Parses the header into its named parts, like `DefaultAuthenticationContextBuilder`. */
export function parseAuthorization(
  header: string,
): { algorithm: string; credential?: string; signature?: string } | undefined {
  const space = header.indexOf(' ');
  if (space <= 0) return undefined;
  const algorithm = header.slice(0, space);
  const parts: Record<string, string> = {};
  for (const item of header.slice(space + 1).split(',')) {
    const trimmed = item.trim();
    const eq = trimmed.indexOf('=');
    if (eq <= 0) continue;
    parts[trimmed.slice(0, eq).trim()] = trimmed.slice(eq + 1).trim();
  }
  const result: { algorithm: string; credential?: string; signature?: string } = { algorithm };
  if (parts.Credential !== undefined) result.credential = parts.Credential;
  if (parts.Signature !== undefined) result.signature = parts.Signature;
  return result;
}

/**
 * Verifies one request's credentials.
 *
 * @param authorization - the `authorization` header value, if any.
 * @param dateTime - the `x-mq-date-time` header value, if any.
 * @param credentials - accepted users; an empty list disables authentication.
 * @returns `undefined` when authenticated (or auth disabled), else the failure reason (→ `UNAUTHORIZED`).
 */
export function verifyAuthorization(
  authorization: string | undefined,
  dateTime: string | undefined,
  credentials: readonly AclCredential[],
): AuthFailure | undefined {
  if (credentials.length === 0) return undefined;
  if (authorization === undefined || authorization.trim() === '') {
    return { message: 'No authorization header: anonymous access is not allowed' };
  }
  const parsed = parseAuthorization(authorization);
  if (parsed === undefined || parsed.credential === undefined || parsed.signature === undefined) {
    return { message: 'authorization header is malformed' };
  }
  if (dateTime === undefined || dateTime === '') {
    return { message: 'x-mq-date-time is required when authorization is present' };
  }
  const accessKey = parsed.credential.split('/')[0] ?? '';
  const user = credentials.find((c) => c.accessKey === accessKey);
  if (user === undefined) return { message: `User:${accessKey} not found` };
  const sig = parsed.signature;
  if (!HEX.test(sig) || sig.length % 2 !== 0) return { message: 'check signature failed' };
  const given = Buffer.from(sig, 'hex');
  const expected = createHmac('sha1', Buffer.from(user.secretKey, 'utf8')).update(dateTime, 'utf8').digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { message: 'check signature failed' };
  }
  return undefined;
}
