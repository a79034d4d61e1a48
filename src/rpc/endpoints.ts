/**
 * Access-point parsing and gRPC targets (a scheme-less `a:1,b:2` list is no valid grpc-js target, so
 * address lists become `ipv4:`/`ipv6:` targets and a domain name a `dns:` one).
 *
 * Accepted input:
 * - one address: `host:port`, `[ipv6]:port`, or a host without port (the port then defaults to
 *   {@link DEFAULT_PROXY_PORT}, the proxy's gRPC port — deliberately not Java's 80);
 * - several IP addresses separated by `;` (`,` is tolerated too); they must all be IPv4 or all IPv6.
 *   Domain names are only allowed alone, because grpc-js's `dns:` target takes a single name;
 * - an optional `http://` or `https://` prefix on each address, which is stripped (TLS is configured
 *   separately, not inferred from the prefix);
 * - IPv6 addresses must be bracketed (`[::1]:8081`, or `[::1]` for the default port): without brackets
 *   the port cannot be told apart from the last group.
 *
 * @packageDocumentation
 */

import { isIPv4, isIPv6 } from 'node:net';
import { RocketMQError } from '../errors.js';

/** The proxy's default gRPC port, used when an address has none. */
export const DEFAULT_PROXY_PORT = 8081;

/** How the addresses are resolved. */
export type AddressScheme = 'ipv4' | 'ipv6' | 'domain';

/** One host and port. IPv6 hosts are stored without brackets. */
export interface Address {
  readonly host: string;
  readonly port: number;
}

/** A parsed access point or route endpoint list. */
export interface Endpoints {
  readonly scheme: AddressScheme;
  /** At least one address; exactly one for `domain`. */
  readonly addresses: readonly Address[];
}

const DOMAIN_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i;

/** A malformed access point or address: the rule-specific code, like the proxy's for a bad endpoint. */
function invalid(message: string): RocketMQError {
  return new RocketMQError(message, 'ILLEGAL_ACCESS_POINT');
}

/** True for a syntactically valid DNS name that is not made of numeric labels only (so not a bad IPv4). */
function isDomainName(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  if (!labels.every((l) => DOMAIN_LABEL.test(l))) return false;
  return !/^\d+$/.test(labels[labels.length - 1]!);
}

function parsePort(text: string, entry: string): number {
  if (!/^\d{1,5}$/.test(text)) throw invalid(`Invalid port in access point entry "${entry}"`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw invalid(`Port out of range (1-65535) in access point entry "${entry}"`);
  return port;
}

function stripPrefix(entry: string): string {
  const lower = entry.toLowerCase();
  if (lower.startsWith('http://')) return entry.slice(7);
  if (lower.startsWith('https://')) return entry.slice(8);
  if (entry.includes('://')) throw invalid(`Unsupported URL scheme in access point entry "${entry}"`);
  return entry;
}

function parseEntry(raw: string): { scheme: AddressScheme; address: Address } {
  // Refuse user info without echoing it: it may carry a password.
  if (raw.includes('@')) throw invalid('Access point entries must not contain user info ("@")');
  const entry = stripPrefix(raw).replace(/\/+$/, '');
  if (entry === '') throw invalid(`Empty address in access point entry "${raw}"`);
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    if (close < 0) throw invalid(`Unclosed "[" in access point entry "${raw}"`);
    const host = entry.slice(1, close);
    if (!isIPv6(host)) throw invalid(`Invalid IPv6 address in access point entry "${raw}"`);
    const rest = entry.slice(close + 1);
    // Canonical form (lower case, shortest zero run), so one address written two ways is one address.
    const canonical = new URL(`http://[${host}]/`).hostname.slice(1, -1);
    if (rest === '') return { scheme: 'ipv6', address: { host: canonical, port: DEFAULT_PROXY_PORT } };
    if (!rest.startsWith(':')) throw invalid(`Unexpected text after "]" in access point entry "${raw}"`);
    return { scheme: 'ipv6', address: { host: canonical, port: parsePort(rest.slice(1), raw) } };
  }
  const colons = entry.split(':').length - 1;
  if (colons > 1) {
    throw invalid(`IPv6 addresses must be written in brackets, e.g. "[::1]:8081" (got "${raw}")`);
  }
  const [hostPart, portPart] = colons === 1 ? (entry.split(':') as [string, string]) : [entry, undefined];
  const port = portPart === undefined ? DEFAULT_PROXY_PORT : parsePort(portPart, raw);
  if (isIPv4(hostPart)) return { scheme: 'ipv4', address: { host: hostPart, port } };
  if (isDomainName(hostPart)) return { scheme: 'domain', address: { host: hostPart.toLowerCase(), port } };
  throw invalid(`Invalid host in access point entry "${raw}"`);
}

/**
 * Parses an access-point string. See the module documentation for the accepted syntax.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` when not a string; `ILLEGAL_ACCESS_POINT`, naming the offending
 * entry, for empty input, an empty entry
 * (`"a:1;;b:2"`, a trailing `;`), malformed hosts or ports (outside 1-65535), the same address twice,
 * mixed IPv4/IPv6 lists, or a domain name next to other addresses (one channel cannot take them).
 */
export function parseEndpoints(accessPoint: string): Endpoints {
  if (typeof accessPoint !== 'string') throw new RocketMQError('Access point must be a string', 'INVALID_ARGUMENT');
  if (accessPoint.trim() === '') throw invalid('Access point is empty');
  const entries = accessPoint.split(/[;,]/).map((e) => e.trim());
  const parsed = entries.map((entry, i) => {
    if (entry === '') {
      throw invalid(`Empty entry ${i + 1} of ${entries.length} in access point "${accessPoint}"`);
    }
    return { entry, ...parseEntry(entry) };
  });
  const first = parsed[0]!;
  const seen = new Map<string, string>();
  for (const p of parsed) {
    if (p !== first && (p.scheme === 'domain' || first.scheme === 'domain')) {
      throw invalid(
        `Access point entry "${p.entry}" cannot share a channel with "${first.entry}": a domain name must be the only address`,
      );
    }
    if (p.scheme !== first.scheme) {
      throw invalid(
        `Access point entry "${p.entry}" (${p.scheme}) cannot share a channel with "${first.entry}" (${first.scheme}): list IPv4 or IPv6 addresses, not both`,
      );
    }
    const key = formatAddress(p.address);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw invalid(`Access point entry "${p.entry}" repeats "${earlier}" (${key})`);
    }
    seen.set(key, p.entry);
  }
  return createEndpoints(
    first.scheme,
    parsed.map((p) => p.address),
  );
}

/**
 * Builds validated, frozen {@link Endpoints} from a scheme and addresses (for example a route entry).
 * Exact duplicate addresses are dropped; order is otherwise kept.
 *
 * @throws RocketMQError `ILLEGAL_ACCESS_POINT` when an address does not match the scheme, a port is out
 * of range, the list is empty, or a domain scheme has more than one address.
 */
export function createEndpoints(scheme: AddressScheme, addresses: readonly Address[]): Endpoints {
  if (addresses.length === 0) throw invalid('Endpoints need at least one address');
  const seen = new Set<string>();
  const unique: Address[] = [];
  for (const a of addresses) {
    if (!Number.isInteger(a.port) || a.port < 1 || a.port > 65535) {
      throw invalid(`Port out of range (1-65535): ${a.port}`);
    }
    const valid =
      scheme === 'ipv4' ? isIPv4(a.host) : scheme === 'ipv6' ? isIPv6(a.host) : isDomainName(a.host);
    if (!valid) throw invalid(`Host "${a.host}" is not a valid ${scheme} address`);
    const normalized = Object.freeze({
      host: scheme === 'ipv4' ? a.host : a.host.toLowerCase(),
      port: a.port,
    });
    const key = formatAddress(normalized);
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(normalized);
  }
  if (scheme === 'domain' && unique.length > 1) {
    throw invalid('Only one domain name is allowed; list several addresses as IP literals instead');
  }
  return Object.freeze({ scheme, addresses: Object.freeze(unique) });
}

/** `host:port`, with IPv6 hosts in brackets. */
export function formatAddress(address: Address): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

const TARGET_PREFIX: Readonly<Record<AddressScheme, string>> = {
  ipv4: 'ipv4:',
  ipv6: 'ipv6:',
  domain: 'dns:',
};

/**
 * The grpc-js channel target: `dns:host:port`, `ipv4:a:p,b:p` or `ipv6:[a]:p,[b]:p`, addresses in the
 * given order (grpc-js's default pick-first policy then tries them in that order).
 */
export function toGrpcTarget(endpoints: Endpoints): string {
  return TARGET_PREFIX[endpoints.scheme] + endpoints.addresses.map(formatAddress).join(',');
}

/**
 * The same endpoints with the addresses in a random order (Fisher-Yates over `random`). Every client
 * orders a multi-address access point this way once per channel, so the clients of one proxy list
 * spread over the proxies instead of all picking the first; grpc-js's pick-first then fails over to
 * the next address in this order.
 */
export function shuffleEndpoints(endpoints: Endpoints, random: () => number): Endpoints {
  if (endpoints.addresses.length < 2) return endpoints;
  const order = [...endpoints.addresses];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(random() * (i + 1)));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return Object.freeze({ scheme: endpoints.scheme, addresses: Object.freeze(order) });
}

/** Keys of frozen {@link Endpoints} (see {@link endpointKey}). */
const keys = new WeakMap<Endpoints, string>();

/**
 * A stable identity string for maps of channels and sessions: like {@link toGrpcTarget} but with the
 * addresses sorted, so the same set of addresses in any order gives the same key.
 */
export function endpointKey(endpoints: Endpoints): string {
  // Every call looks its channel up by this key (and a send needs it several times), so the key of an
  // immutable (frozen, as built by createEndpoints) instance is computed once.
  const frozen = Object.isFrozen(endpoints) && Object.isFrozen(endpoints.addresses);
  if (frozen) {
    const known = keys.get(endpoints);
    if (known !== undefined) return known;
  }
  const key = TARGET_PREFIX[endpoints.scheme] + endpoints.addresses.map(formatAddress).sort().join(',');
  if (frozen) keys.set(endpoints, key);
  return key;
}
