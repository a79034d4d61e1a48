/**
 * Counts of the resources the library itself holds: armed timers, open channels, calls and streams in
 * flight, and the ref'd handles that keep the process alive during a shutdown.
 *
 * The process's own view (`process.getActiveResourcesInfo()`) cannot see most of them: every timer of a
 * client is unref'd, and a gRPC channel or stream shows up only while a socket is busy. Each client keeps
 * one {@link ResourceCount}; its counts also go to {@link libraryResources}, the total of every client in
 * the process. After `shutdown()` or `destroy()` a client's counts are all zero; leak tests assert that.
 *
 * @packageDocumentation
 */

/** The kinds of resource counted. */
export type ResourceKind = 'timers' | 'channels' | 'calls' | 'streams' | 'keepAlive';

/** A snapshot of the counts, one number per {@link ResourceKind}. */
export type ResourceSnapshot = Readonly<Record<ResourceKind, number>>;

const KINDS: readonly ResourceKind[] = ['timers', 'channels', 'calls', 'streams', 'keepAlive'];

/** Live counts of one owner (a client), forwarded to a parent (the process total). */
export class ResourceCount {
  readonly #counts: Record<ResourceKind, number> = {
    timers: 0,
    channels: 0,
    calls: 0,
    streams: 0,
    keepAlive: 0,
  };
  readonly #parent: ResourceCount | undefined;

  /** @param parent - also counts everything counted here; `null` for none. @defaultValue {@link libraryResources} */
  constructor(parent?: ResourceCount | null) {
    this.#parent = parent === null ? undefined : (parent ?? libraryResources);
  }

  /** Counts `n` more resources of `kind` (a negative `n` counts them released). */
  add(kind: ResourceKind, n = 1): void {
    this.#counts[kind] += n;
    this.#parent?.add(kind, n);
  }

  /** Counts `n` resources of `kind` released. */
  remove(kind: ResourceKind, n = 1): void {
    this.add(kind, -n);
  }

  /** The current counts. */
  snapshot(): ResourceSnapshot {
    return Object.freeze({ ...this.#counts });
  }

  /** The sum of every count. */
  get total(): number {
    return KINDS.reduce((sum, k) => sum + this.#counts[k], 0);
  }
}

/** Every client's resources together (the root of every {@link ResourceCount}). */
export const libraryResources: ResourceCount = new ResourceCount(null);
