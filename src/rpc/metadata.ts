/**
 * The `x-mq-*` request headers, built here rather than in the clients. Built fresh for every unary call
 * (new request id, date-time and signature) and once per telemetry stream.
 *
 * Language header: we send `NODE_JS` by default. The server's `LanguageCode` enum has that name since
 * 5.3.2 and our target server is 5.4.0; older servers reject unknown names when registering telemetry
 * settings, so {@link RequestMetadataInput.language} can be set to `'HTTP'` (what the official Node SDK
 * sends) for them.
 *
 * @packageDocumentation
 */

import { randomUUID } from 'node:crypto';
import { RocketMQError } from '../errors.js';
import { type Clock, systemClock } from '../internal/clock.js';
import { PROTOCOL_CLIENT_VERSION } from '../version.js';
import type { Credentials } from './auth/credentials.js';
import { formatDateTime, sign } from './auth/signer.js';

/** Header names. */
export const HEADERS = Object.freeze({
  language: 'x-mq-language',
  protocol: 'x-mq-protocol',
  clientVersion: 'x-mq-client-version',
  clientId: 'x-mq-client-id',
  requestId: 'x-mq-request-id',
  dateTime: 'x-mq-date-time',
  namespace: 'x-mq-namespace',
  authorization: 'authorization',
  sessionToken: 'x-mq-session-token',
});

/** Protocol revision sent in `x-mq-protocol`. */
export const PROTOCOL_VERSION = 'v2';

/** Names of the server's `LanguageCode` enum (the only values `x-mq-language` may carry). */
export type ClientLanguage =
  | 'JAVA'
  | 'CPP'
  | 'DOTNET'
  | 'PYTHON'
  | 'DELPHI'
  | 'ERLANG'
  | 'RUBY'
  | 'OTHER'
  | 'HTTP'
  | 'GO'
  | 'PHP'
  | 'OMS'
  | 'RUST'
  | 'NODE_JS';

/** The language sent by default (needs server ≥ 5.3.2; use `'HTTP'` for older servers). */
export const DEFAULT_LANGUAGE: ClientLanguage = 'NODE_JS';

/** Input of {@link buildRequestMetadata}. */
export interface RequestMetadataInput {
  /** The client's id (see `createClientId`). Required by the server on every call. */
  clientId: string;
  /** Sent as `x-mq-namespace` when non-empty. */
  namespace?: string | undefined;
  /** Already resolved credentials; no signature headers when absent or blank. */
  credentials?: Credentials | undefined;
  /** @defaultValue {@link DEFAULT_LANGUAGE} */
  language?: ClientLanguage | undefined;
  /** @defaultValue {@link PROTOCOL_CLIENT_VERSION} (the 5.x client behaviour implemented; our own version is in the user agent) */
  clientVersion?: string | undefined;
  /** Source of `x-mq-date-time`. @defaultValue {@link systemClock} */
  clock?: Clock | undefined;
  /** Source of `x-mq-request-id`. @defaultValue `crypto.randomUUID` */
  requestId?: (() => string) | undefined;
}

const HEADER_VALUE = /^[\x20-\x7e]*$/;

function checkHeaderValue(name: string, value: string): void {
  if (!HEADER_VALUE.test(value)) {
    throw new RocketMQError(`${name} must contain printable ASCII characters only`, 'INVALID_ARGUMENT');
  }
}

/**
 * Builds the headers of one request as a plain record (the rpc layer copies it into grpc-js `Metadata`).
 *
 * @throws RocketMQError `INVALID_ARGUMENT` when the client id or namespace is blank or not printable
 * ASCII, or when the credentials cannot be carried in headers.
 */
export function buildRequestMetadata(input: RequestMetadataInput): Record<string, string> {
  if (input.clientId.trim() === '') {
    throw new RocketMQError('clientId must not be blank', 'INVALID_ARGUMENT');
  }
  checkHeaderValue('clientId', input.clientId);
  const dateTime = formatDateTime((input.clock ?? systemClock).now());
  const headers: Record<string, string> = {
    [HEADERS.language]: input.language ?? DEFAULT_LANGUAGE,
    [HEADERS.protocol]: PROTOCOL_VERSION,
    [HEADERS.clientVersion]: input.clientVersion ?? PROTOCOL_CLIENT_VERSION,
    [HEADERS.clientId]: input.clientId,
    [HEADERS.requestId]: (input.requestId ?? randomUUID)(),
    [HEADERS.dateTime]: dateTime,
  };
  const namespace = input.namespace ?? '';
  if (namespace !== '') {
    checkHeaderValue('namespace', namespace);
    headers[HEADERS.namespace] = namespace;
  }
  if (input.credentials !== undefined) {
    Object.assign(
      headers,
      sign({
        accessKey: input.credentials.accessKey,
        accessSecret: input.credentials.accessSecret,
        securityToken: input.credentials.securityToken,
        dateTime,
      }),
    );
  }
  return headers;
}
