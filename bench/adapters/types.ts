/**
 * The one small interface every benchmarked client is driven through. A scenario only ever calls
 * these methods, so the three clients do the same work in the same order.
 *
 * `M` is the client's own received-message type; scenarios never look inside it except through
 * {@link ClientAdapter.bodyOf}.
 */

/** The benchmarked clients. */
export type ClientName = 'rocketmq-ts' | 'official' | 'raw-grpc';

export const CLIENTS: readonly ClientName[] = ['rocketmq-ts', 'official', 'raw-grpc'];

/** What an adapter instance is for. */
export type Role = 'producer' | 'simple-consumer' | 'push-consumer';

/** Called by a push-style consumer for every message; the message is acked when the promise resolves. */
export type PushHandler = (message: unknown) => void | Promise<void>;

/** Everything an adapter needs to know. */
export interface AdapterConfig {
  readonly endpoint: string;
  readonly role: Role;
  readonly topic: string;
  /** Consumer group (consumer roles). */
  readonly group: string;
  /** Long-polling time of receives. */
  readonly awaitDurationMs: number;
  /** Invisible duration of received messages (simple consumers). */
  readonly invisibleDurationMs: number;
  /** push-consumer: the handler. */
  readonly onMessage?: PushHandler | undefined;
  /** producer: auto-batching of sends, for clients that have it (rocketmq-ts). */
  readonly batching?: boolean | undefined;
  /** push-consumer: upper bound of the client-side cache (prefetch), in messages. */
  readonly maxCachedMessages?: number | undefined;
}

/** One client in one role. Methods a role does not support throw. */
export interface ClientAdapter<M = unknown> {
  readonly client: ClientName;
  readonly role: Role;
  /** Connects (for a push consumer: starts consuming into `onMessage`). */
  start(): Promise<void>;
  /** Sends one NORMAL message with this body to the configured topic. */
  send(body: Buffer): Promise<void>;
  /** One receive of up to `max` messages. */
  receiveBatch(max: number): Promise<readonly M[]>;
  /** Acknowledges messages of one receive, as efficiently as the client's API allows. */
  ack(messages: readonly M[]): Promise<void>;
  /** The body of a received message. */
  bodyOf(message: M): Uint8Array;
  /** push-consumer: messages received and not yet settled (its prefetch cache), when it can tell. */
  cachedMessages?(): number;
  shutdown(): Promise<void>;
}

/** A client/role combination that cannot be benchmarked, with the reason (reported as a gap). */
export interface AdapterGap {
  readonly gap: string;
}

export type AdapterFactory = (config: AdapterConfig) => Promise<ClientAdapter | AdapterGap>;

export function isGap(value: ClientAdapter | AdapterGap): value is AdapterGap {
  return (value as AdapterGap).gap !== undefined;
}

/** Thrown by adapter methods that a role does not support. */
export function unsupported(client: ClientName, role: Role, method: string): Error {
  return new Error(`${client} ${role} does not support ${method}()`);
}
