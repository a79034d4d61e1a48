/**
 * Client registry of the broker: raw Settings per client id, the open Telemetry streams the broker can push
 * commands on, client liveness, and the answers clients sent on their streams.
 *
 * @packageDocumentation
 */

import type { Settings } from '../gen/apache/rocketmq/v2/definition_pb.js';
import type { TelemetryCommand } from '../gen/apache/rocketmq/v2/service_pb.js';
import type { TelemetryReply } from './telemetry-types.js';

/** The broker's side of one open Telemetry stream. */
export interface TelemetryStream {
  readonly clientId: string;
  /** Writes a frame; false when the stream is no longer writable. */
  write(command: TelemetryCommand): boolean;
  /** Ends the stream with a gRPC error status. */
  fail(grpcCode: number, details: string): void;
}

type ReplyWaiter = {
  readonly predicate: (reply: TelemetryReply) => boolean;
  readonly resolve: (reply: TelemetryReply) => void;
  readonly reject: (err: unknown) => void;
};

/** Options of {@link TelemetryHub}. */
export interface TelemetryHubOptions {
  readonly now: () => number;
  /** A client not heard from for this long counts as gone (the broker's 120 s channel expiry). */
  readonly clientExpiryMs: number;
}

/** Clients known to the broker. */
export class TelemetryHub {
  readonly #o: TelemetryHubOptions;
  readonly #settings = new Map<string, Settings>();
  readonly #lastSeen = new Map<string, number>();
  readonly #streams = new Map<string, TelemetryStream>();
  readonly #open = new Set<TelemetryStream>();
  readonly #replies: TelemetryReply[] = [];
  readonly #waiters = new Set<ReplyWaiter>();
  #rr = 0;
  #expired = 0;

  constructor(options: TelemetryHubOptions) {
    this.#o = options;
  }

  /** Every non-Settings frame received from clients, oldest first. */
  get replies(): readonly TelemetryReply[] {
    return this.#replies;
  }

  /** Number of open Telemetry streams. */
  get openStreamCount(): number {
    return this.#open.size;
  }

  /** Records activity of a client (any RPC). */
  touch(clientId: string): void {
    this.#lastSeen.set(clientId, this.#o.now());
  }

  /** The client's raw (unmerged) settings. */
  settings(clientId: string): Settings | undefined {
    return this.#settings.get(clientId);
  }

  /** Stores a client's raw settings (replacing earlier ones). */
  setSettings(clientId: string, settings: Settings): void {
    this.#settings.set(clientId, settings);
  }

  /** Removes and returns a client's settings (NotifyClientTermination). */
  removeSettings(clientId: string): Settings | undefined {
    const s = this.#settings.get(clientId);
    this.#settings.delete(clientId);
    return s;
  }

  /** Client ids with stored settings. */
  clientIds(): string[] {
    return [...this.#settings.keys()];
  }

  /**
   * Drops the settings of every client not heard from within the expiry time (an expired channel);
   * returns their ids.
   */
  forgetExpired(): string[] {
    const now = this.#o.now();
    const gone: string[] = [];
    for (const clientId of [...this.#settings.keys()]) {
      const seen = this.#lastSeen.get(clientId);
      if (seen === undefined || now - seen > this.#o.clientExpiryMs) {
        this.#settings.delete(clientId);
        gone.push(clientId);
      }
    }
    this.#expired += gone.length;
    return gone;
  }

  /** Clients forgotten by {@link TelemetryHub.forgetExpired} so far. */
  get expiredCount(): number {
    return this.#expired;
  }

  /** True while the client has settings and was heard from within the expiry time. */
  isAlive(clientId: string): boolean {
    const seen = this.#lastSeen.get(clientId);
    return (
      this.#settings.has(clientId) && seen !== undefined && this.#o.now() - seen <= this.#o.clientExpiryMs
    );
  }

  /** Registers an open stream; it becomes the client's command channel. */
  attach(stream: TelemetryStream): void {
    this.#open.add(stream);
    this.#streams.set(stream.clientId, stream);
  }

  /** Forgets a closed stream. */
  detach(stream: TelemetryStream): void {
    this.#open.delete(stream);
    if (this.#streams.get(stream.clientId) === stream) {
      this.#streams.delete(stream.clientId);
      for (const s of this.#open) if (s.clientId === stream.clientId) this.#streams.set(s.clientId, s);
    }
  }

  /** Writes a command on the client's stream; false when the client has no open stream. */
  sendCommand(clientId: string, command: TelemetryCommand): boolean {
    const stream = this.#streams.get(clientId);
    return stream?.write(command) ?? false;
  }

  /** A client with an open stream whose settings publish `topic` (round robin), or `undefined`. */
  findProducer(topic: string): string | undefined {
    const candidates = [...this.#streams.keys()].filter((id) => {
      const s = this.#settings.get(id);
      return s?.pubSub.case === 'publishing' && s.pubSub.value.topics.some((t) => t.name === topic);
    });
    if (candidates.length === 0) return undefined;
    return candidates[this.#rr++ % candidates.length];
  }

  /** Records a client's answer frame and wakes matching waiters. */
  recordReply(reply: TelemetryReply): void {
    this.#replies.push(reply);
    for (const w of [...this.#waiters]) {
      if (w.predicate(reply)) {
        this.#waiters.delete(w);
        w.resolve(reply);
      }
    }
  }

  /**
   * Resolves with the first recorded reply (past or future) matching `predicate`; rejects with the signal's
   * reason when it aborts.
   */
  waitForReply(predicate: (reply: TelemetryReply) => boolean, signal?: AbortSignal): Promise<TelemetryReply> {
    const found = this.#replies.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiters.delete(waiter);
        reject(signal?.reason);
      };
      const waiter: ReplyWaiter = {
        predicate,
        resolve: (r) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(r);
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      this.#waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Rejects every pending {@link TelemetryHub.waitForReply} (shutdown). */
  close(reason: unknown): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w.reject(reason);
  }

  /** Ends every open stream with the given gRPC status. */
  failAll(grpcCode: number, details: string): void {
    for (const s of [...this.#open]) {
      this.detach(s);
      s.fail(grpcCode, details);
    }
  }
}
