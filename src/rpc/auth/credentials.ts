/**
 * Credentials and their providers. Secrets are kept off enumeration, JSON and `util.inspect` output so
 * that logging an options object never leaks them.
 *
 * @packageDocumentation
 */

import { inspect } from 'node:util';
import { RocketMQError } from '../../errors.js';

/** An access key pair, optionally with an STS session token. */
export interface Credentials {
  /** The access key (sent in the `authorization` header). */
  readonly accessKey: string;
  /** The secret key; it signs requests and is never sent or logged. */
  readonly accessSecret: string;
  /** A session token of temporary credentials, sent as `x-mq-session-token`. */
  readonly securityToken?: string | undefined;
}

/**
 * Supplies credentials for each signing; may be async (for rotating STS tokens). It is called again
 * whenever headers are built, so returning fresh credentials rotates them.
 */
export type CredentialsProvider = () => Credentials | Promise<Credentials>;

const REDACTED = '[REDACTED]';

/**
 * Creates a credentials object whose `accessSecret` and `securityToken` are non-enumerable and are
 * shown as `[REDACTED]` by `JSON.stringify` and `util.inspect`. The object is frozen.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` when an argument is not a string.
 */
export function createCredentials(
  accessKey: string,
  accessSecret: string,
  securityToken?: string,
): Credentials {
  if (typeof accessKey !== 'string' || typeof accessSecret !== 'string') {
    throw new RocketMQError('accessKey and accessSecret must be strings', 'INVALID_ARGUMENT');
  }
  if (securityToken !== undefined && typeof securityToken !== 'string') {
    throw new RocketMQError('securityToken must be a string when given', 'INVALID_ARGUMENT');
  }
  const redacted = (): Record<string, string> => ({
    accessKey,
    accessSecret: REDACTED,
    ...(securityToken === undefined ? {} : { securityToken: REDACTED }),
  });
  const hidden = (value: unknown): PropertyDescriptor => ({ value, enumerable: false });
  const creds = { accessKey };
  Object.defineProperties(creds, {
    accessSecret: hidden(accessSecret),
    ...(securityToken === undefined ? {} : { securityToken: hidden(securityToken) }),
    toJSON: hidden(redacted),
    [inspect.custom]: hidden(
      (_depth: number, options: object) => `Credentials ${inspect(redacted(), options)}`,
    ),
  });
  return Object.freeze(creds) as Credentials;
}

/**
 * A provider that always returns the same credentials (built with `createCredentials`: the secret and token are non-enumerable).
 *
 * @example
 * ```ts
 * const credentials = staticCredentials(process.env.MQ_AK!, process.env.MQ_SK!);
 * ```
 */
export function staticCredentials(
  accessKey: string,
  accessSecret: string,
  securityToken?: string,
): CredentialsProvider {
  const creds = createCredentials(accessKey, accessSecret, securityToken);
  return () => creds;
}

/** Accepts either credentials or a provider and returns a provider. */
export function toCredentialsProvider(source: Credentials | CredentialsProvider): CredentialsProvider {
  if (typeof source === 'function') return source;
  const creds = createCredentials(source.accessKey, source.accessSecret, source.securityToken);
  return () => creds;
}

/**
 * Calls a provider and checks what it returned.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` when the result is not a credentials object; an error thrown
 * by the provider is rethrown as a RocketMQError (`INTERNAL` unless it already is one), original as `cause`.
 */
export async function resolveCredentials(provider: CredentialsProvider): Promise<Credentials> {
  let result: Credentials;
  try {
    result = await provider();
  } catch (err) {
    throw RocketMQError.from(err, 'INTERNAL');
  }
  if (
    result === null ||
    typeof result !== 'object' ||
    typeof result.accessKey !== 'string' ||
    typeof result.accessSecret !== 'string'
  ) {
    throw new RocketMQError('Credentials provider returned an invalid value', 'INVALID_ARGUMENT');
  }
  return result;
}
