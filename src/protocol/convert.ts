/**
 * Conversions between generated protobuf values and the plain internal types of protocol/, shared by
 * the other `*-convert.ts` files: durations (full seconds + nanos precision: the server's backoff is
 * sub-second), endpoints (never `ADDRESS_SCHEME_UNSPECIFIED`), resources and client types.
 *
 * @packageDocumentation
 */

import { create } from '@bufbuild/protobuf';
import { type Duration, DurationSchema } from '@bufbuild/protobuf/wkt';
import { RocketMQError } from '../errors.js';
import {
  AddressScheme,
  EndpointsSchema,
  ClientType as ProtoClientType,
  type Endpoints as ProtoEndpoints,
  type Resource,
  ResourceSchema,
} from '../gen/apache/rocketmq/v2/definition_pb.js';
import { createEndpoints, type Endpoints, type AddressScheme as Scheme } from '../rpc/endpoints.js';
import type { ClientType } from './settings.js';

const NANOS_PER_MS = 1_000_000;

/**
 * Milliseconds → `google.protobuf.Duration` with integer seconds and nanos (sub-millisecond fractions
 * are kept down to the nanosecond). Negative or non-finite input is rejected.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` for negative, NaN or infinite values.
 */
export function durationFromMs(ms: number): Duration {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new RocketMQError(
      `A duration must be a finite, non-negative number of ms, got ${ms}`,
      'INVALID_ARGUMENT',
    );
  }
  const totalNanos = Math.round(ms * NANOS_PER_MS);
  const seconds = Math.floor(totalNanos / 1e9);
  const nanos = totalNanos - seconds * 1e9;
  return create(DurationSchema, { seconds: BigInt(seconds), nanos });
}

/**
 * `google.protobuf.Duration` → milliseconds (may be fractional: 1.5 ms stays 1.5). `undefined` stays
 * `undefined`. Negative durations are returned as is; callers decide whether they make sense.
 */
export function durationToMs(duration: { seconds: bigint; nanos: number } | undefined): number | undefined {
  if (duration === undefined) return undefined;
  return Number(duration.seconds) * 1000 + duration.nanos / NANOS_PER_MS;
}

const SCHEME_TO_PROTO: Readonly<Record<Scheme, AddressScheme>> = {
  ipv4: AddressScheme.IPv4,
  ipv6: AddressScheme.IPv6,
  domain: AddressScheme.DOMAIN_NAME,
};

/** Internal endpoints → protobuf `Endpoints` (scheme always set). */
export function toProtoEndpoints(endpoints: Endpoints): ProtoEndpoints {
  return create(EndpointsSchema, {
    scheme: SCHEME_TO_PROTO[endpoints.scheme],
    addresses: endpoints.addresses.map((a) => ({ host: a.host, port: a.port })),
  });
}

function inferScheme(host: string): Scheme {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return 'ipv4';
  if (host.includes(':')) return 'ipv6';
  return 'domain';
}

/**
 * Protobuf `Endpoints` → internal endpoints. An unspecified scheme is inferred from the first host.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` when the addresses are empty or invalid for the scheme.
 */
export function fromProtoEndpoints(endpoints: ProtoEndpoints): Endpoints {
  const addresses = endpoints.addresses.map((a) => ({ host: a.host, port: a.port }));
  let scheme: Scheme;
  switch (endpoints.scheme) {
    case AddressScheme.IPv4:
      scheme = 'ipv4';
      break;
    case AddressScheme.IPv6:
      scheme = 'ipv6';
      break;
    case AddressScheme.DOMAIN_NAME:
      scheme = 'domain';
      break;
    default:
      scheme = inferScheme(addresses[0]?.host ?? '');
  }
  return createEndpoints(scheme, addresses);
}

/** A `Resource` with the client's namespace. */
export function toResource(name: string, namespace = ''): Resource {
  return create(ResourceSchema, { name, resourceNamespace: namespace });
}

const CLIENT_TYPE_TO_PROTO: Readonly<Record<ClientType, ProtoClientType>> = {
  producer: ProtoClientType.PRODUCER,
  'push-consumer': ProtoClientType.PUSH_CONSUMER,
  'simple-consumer': ProtoClientType.SIMPLE_CONSUMER,
  'lite-push-consumer': ProtoClientType.LITE_PUSH_CONSUMER,
  'lite-simple-consumer': ProtoClientType.LITE_SIMPLE_CONSUMER,
};

/** Internal client type → protobuf enum. */
export function toProtoClientType(type: ClientType): ProtoClientType {
  return CLIENT_TYPE_TO_PROTO[type];
}
