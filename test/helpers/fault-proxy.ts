/**
 * A TCP fault proxy for tests: sits between a client and a broker on loopback and injects network
 * faults, switchable at runtime.
 *
 * Modes (per connection; {@link FaultProxy.set} changes the mode of new connections and, unless
 * `{ existing: false }`, of the open ones):
 *
 * - `pass`: bytes flow unchanged.
 * - `delay`: every chunk is held `ms` before it is forwarded (both directions, order kept).
 * - `throttle`: each direction is limited to `bytesPerSecond` (order kept).
 * - `blackhole`: connections are accepted (and kept open) but every byte is dropped: a half-open
 *   connection as the client sees it. {@link FaultProxy.blackholeExisting} does this to the open
 *   connections only, while new ones pass.
 * - `partition`: every byte is held, not dropped, and delivered in order once the mode changes, as TCP
 *   retransmission delivers it after a network partition heals (connections closed by either side
 *   meanwhile are closed at once, though).
 * - `reset`: open connections get a TCP RST; new ones are reset right after accept.
 * - `close-after`: a connection is closed (FIN, or RST with `how: 'rst'`) once `bytes` more bytes have
 *   been forwarded in `direction` (`down` = broker → client, the default): a stream cut half-way.
 *
 * Counters ({@link FaultProxy.stats}): connections accepted (= the client's connection attempts),
 * active connections, bytes forwarded and dropped per direction, resets, upstream connect failures.
 * {@link FaultProxy.close} closes the listener and every socket and clears every timer.
 *
 * With `tls: { key, cert }` the proxy terminates TLS (ALPN `h2`) and forwards plaintext, which puts a
 * TLS endpoint in front of a plaintext broker.
 *
 * @example
 * ```ts
 * const proxy = await FaultProxy.start({ target: broker.endpoint });
 * const producer = new Producer({ endpoints: proxy.endpoint, topics: [topic] });
 * proxy.blackholeExisting();           // half-open: the current connection goes silent
 * await until(() => proxy.stats().accepted >= 2);   // the client opened a new one
 * await proxy.close();
 * ```
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';

/** What the proxy does with a connection's bytes. */
export type FaultMode =
  | { readonly kind: 'pass' }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'throttle'; readonly bytesPerSecond: number }
  | { readonly kind: 'blackhole' }
  | { readonly kind: 'partition' }
  | { readonly kind: 'reset' }
  | {
      readonly kind: 'close-after';
      readonly bytes: number;
      /** Which direction's bytes count. @defaultValue `'down'` (broker → client) */
      readonly direction?: 'up' | 'down' | 'both';
      /** @defaultValue `'fin'` */
      readonly how?: 'fin' | 'rst';
    };

/** Counters since start (or the last {@link FaultProxy.resetStats}). */
export interface FaultProxyStats {
  /** Connections accepted from clients (each is a client connection attempt). */
  readonly accepted: number;
  /** Connections currently open. */
  readonly active: number;
  /** Bytes forwarded client → broker. */
  readonly bytesUp: number;
  /** Bytes forwarded broker → client. */
  readonly bytesDown: number;
  /** Bytes dropped by `blackhole`. */
  readonly droppedBytes: number;
  /** Bytes held by `partition` (delivered when the partition ends). */
  readonly heldBytes: number;
  /** Connections reset by the proxy (`reset`, `close-after` with `rst`, {@link FaultProxy.resetAll}). */
  readonly resets: number;
  /** Connections closed by `close-after`. */
  readonly cut: number;
  /** Upstream (broker) connects that failed, e.g. while the broker is down. */
  readonly upstreamFailures: number;
  /** TLS handshakes that failed (TLS mode only). */
  readonly tlsFailures: number;
}

/** Options of {@link FaultProxy.start}. */
export interface FaultProxyOptions {
  /** Where to forward: `host:port`. */
  readonly target: string;
  /** Initial mode. @defaultValue pass */
  readonly mode?: FaultMode;
  /** Terminate TLS with this key and certificate (PEM). */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** Interface to listen on. @defaultValue `'127.0.0.1'` */
  readonly host?: string;
}

/** Events of {@link FaultProxy}. */
export interface FaultProxyEvents {
  /** A client connection was accepted (its index, 1-based). */
  connection: [index: number];
  /** A connection closed. */
  closed: [index: number];
}

const PASS: FaultMode = Object.freeze({ kind: 'pass' });
/** Above this many queued bytes the reading side is paused (delay/throttle backpressure). */
const HIGH_WATER = 1024 * 1024;

type Direction = 'up' | 'down';

interface Counters {
  accepted: number;
  bytesUp: number;
  bytesDown: number;
  droppedBytes: number;
  heldBytes: number;
  resets: number;
  cut: number;
  upstreamFailures: number;
  tlsFailures: number;
}

const zero = (): Counters => ({
  accepted: 0,
  bytesUp: 0,
  bytesDown: 0,
  droppedBytes: 0,
  heldBytes: 0,
  resets: 0,
  cut: 0,
  upstreamFailures: 0,
  tlsFailures: 0,
});

function parseTarget(target: string): { host: string; port: number } {
  const i = target.lastIndexOf(':');
  const port = Number(target.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65_535) {
    throw new RangeError(`target must be host:port, got "${target}"`);
  }
  return { host: target.slice(0, i).replace(/^\[|\]$/g, ''), port };
}

function checkMode(mode: FaultMode): FaultMode {
  switch (mode.kind) {
    case 'delay':
      if (!(mode.ms >= 0) || !Number.isFinite(mode.ms)) throw new RangeError('delay ms must be ≥ 0');
      return mode;
    case 'throttle':
      if (!(mode.bytesPerSecond > 0) || !Number.isFinite(mode.bytesPerSecond))
        throw new RangeError('throttle bytesPerSecond must be > 0');
      return mode;
    case 'close-after':
      if (!Number.isInteger(mode.bytes) || mode.bytes < 0)
        throw new RangeError('close-after bytes must be an integer ≥ 0');
      return mode;
    case 'pass':
    case 'blackhole':
    case 'partition':
    case 'reset':
      return mode;
    default: {
      const exhaustive: never = mode;
      throw new RangeError(`unknown fault mode ${JSON.stringify(exhaustive)}`);
    }
  }
}

/** One direction of one connection: `from` → `to`, with an ordered release queue. */
class Lane {
  readonly #conn: Connection;
  readonly #from: net.Socket;
  readonly #to: net.Socket;
  readonly dir: Direction;
  readonly #queue: Array<{ chunk: Buffer; at: number }> = [];
  #queuedBytes = 0;
  #lastAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #ended = false;

  constructor(conn: Connection, from: net.Socket, to: net.Socket, dir: Direction) {
    this.#conn = conn;
    this.#from = from;
    this.#to = to;
    this.dir = dir;
    from.on('data', (chunk: Buffer) => this.#onData(chunk));
    from.on('end', () => {
      this.#ended = true;
      this.#flushEnd();
    });
  }

  #onData(chunk: Buffer): void {
    const mode = this.#conn.mode;
    const now = performance.now();
    switch (mode.kind) {
      case 'blackhole':
        this.#conn.proxy.count('droppedBytes', chunk.length);
        return;
      case 'partition':
        this.#conn.proxy.count('heldBytes', chunk.length);
        this.#enqueue(chunk, Number.POSITIVE_INFINITY);
        return;
      case 'reset':
        this.#conn.reset();
        return;
      case 'pass':
        this.#enqueue(chunk, now);
        return;
      case 'delay':
        this.#enqueue(chunk, Math.max(this.#lastAt, now + mode.ms));
        return;
      case 'throttle': {
        const start = Math.max(this.#lastAt, now);
        this.#enqueue(chunk, start + (chunk.length / mode.bytesPerSecond) * 1000);
        return;
      }
      case 'close-after': {
        const counts = (mode.direction ?? 'down') === 'both' || (mode.direction ?? 'down') === this.dir;
        if (!counts) {
          this.#enqueue(chunk, now);
          return;
        }
        const budget = this.#conn.takeBudget(chunk.length);
        if (budget > 0) this.#enqueue(budget < chunk.length ? chunk.subarray(0, budget) : chunk, now);
        if (this.#conn.budgetSpent()) this.#conn.cut(mode.how ?? 'fin');
        return;
      }
      default: {
        const exhaustive: never = mode;
        throw new Error(`unhandled mode ${JSON.stringify(exhaustive)}`);
      }
    }
  }

  #enqueue(chunk: Buffer, at: number): void {
    this.#lastAt = at;
    if (this.#queue.length === 0 && at <= performance.now()) {
      this.#write(chunk);
      return;
    }
    this.#queue.push({ chunk, at });
    this.#queuedBytes += chunk.length;
    if (this.#queuedBytes > HIGH_WATER) this.#from.pause();
    this.#arm();
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#queue.length === 0) return;
    if (this.#queue[0]!.at === Number.POSITIVE_INFINITY) return; // held until the partition ends
    const wait = Math.max(0, this.#queue[0]!.at - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#pump();
    }, wait);
    this.#timer.unref();
  }

  #pump(): void {
    const now = performance.now();
    while (this.#queue.length > 0 && this.#queue[0]!.at <= now + 0.5) {
      const { chunk } = this.#queue.shift()!;
      this.#queuedBytes -= chunk.length;
      this.#write(chunk);
    }
    if (this.#queuedBytes <= HIGH_WATER && this.#from.isPaused()) this.#from.resume();
    this.#arm();
    this.#flushEnd();
  }

  #write(chunk: Buffer): void {
    if (this.#to.destroyed) return;
    this.#conn.proxy.count(this.dir === 'up' ? 'bytesUp' : 'bytesDown', chunk.length);
    this.#to.write(chunk);
  }

  /** Propagates a FIN once everything queued was written. */
  #flushEnd(): void {
    if (this.#ended && this.#queue.length === 0 && !this.#to.destroyed) this.#to.end();
  }

  /** Delivers the bytes held by a partition, in order, now. */
  release(): void {
    const now = performance.now();
    for (const entry of this.#queue) if (entry.at === Number.POSITIVE_INFINITY) entry.at = now;
    if (this.#lastAt === Number.POSITIVE_INFINITY) this.#lastAt = now;
    this.#pump();
  }

  /** Drops whatever is queued and stops the timer. */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue.length = 0;
    this.#queuedBytes = 0;
  }
}

/** One proxied client connection. */
class Connection {
  readonly proxy: FaultProxy;
  readonly index: number;
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  readonly #lanes: Lane[];
  mode: FaultMode;
  #budget = 0;
  #closed = false;

  constructor(proxy: FaultProxy, index: number, client: net.Socket, target: { host: string; port: number }) {
    this.proxy = proxy;
    this.index = index;
    this.client = client;
    this.mode = PASS;
    this.upstream = net.connect({ host: target.host, port: target.port });
    this.upstream.setNoDelay(true);
    client.setNoDelay(true);
    let connected = false;
    this.upstream.once('connect', () => {
      connected = true;
    });
    this.upstream.on('error', () => {
      if (!connected) proxy.count('upstreamFailures', 1);
      this.#destroy();
    });
    client.on('error', () => this.#destroy());
    client.on('close', () => this.#destroy());
    this.upstream.on('close', () => this.#destroy());
    this.#lanes = [
      new Lane(this, client, this.upstream, 'up'),
      new Lane(this, this.upstream, client, 'down'),
    ];
  }

  get closed(): boolean {
    return this.#closed;
  }

  setMode(mode: FaultMode): void {
    const wasPartitioned = this.mode.kind === 'partition';
    this.mode = mode;
    if (wasPartitioned && mode.kind !== 'partition') for (const lane of this.#lanes) lane.release();
    if (mode.kind === 'close-after') {
      this.#budget = mode.bytes;
      if (this.#budget === 0) this.cut(mode.how ?? 'fin');
    }
    if (mode.kind === 'reset') this.reset();
  }

  /** Takes up to `n` bytes of the close-after budget; returns how many may still pass. */
  takeBudget(n: number): number {
    const take = Math.min(n, this.#budget);
    this.#budget -= take;
    return take;
  }

  budgetSpent(): boolean {
    return this.#budget <= 0;
  }

  cut(how: 'fin' | 'rst'): void {
    if (this.#closed) return;
    if (how === 'rst') {
      this.reset();
      return;
    }
    this.proxy.count('cut', 1);
    this.mode = { kind: 'blackhole' }; // nothing more passes while the FINs travel
    this.client.end();
    this.upstream.end();
    // Sockets that do not close after the FIN are destroyed by close() at the latest.
  }

  reset(): void {
    if (this.#closed) return;
    this.proxy.count('resets', 1);
    this.#closed = true;
    for (const lane of this.#lanes) lane.stop();
    for (const s of [this.client, this.upstream]) {
      if (s.destroyed) continue;
      if (typeof s.resetAndDestroy === 'function' && !s.connecting) s.resetAndDestroy();
      else s.destroy();
    }
    this.proxy.forget(this);
  }

  destroy(): void {
    this.#destroy();
  }

  #destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const lane of this.#lanes) lane.stop();
    this.client.destroy();
    this.upstream.destroy();
    this.proxy.forget(this);
  }
}

/** The fault proxy. See the module documentation. */
export class FaultProxy extends EventEmitter<FaultProxyEvents> {
  readonly #server: net.Server;
  readonly #target: { host: string; port: number };
  readonly #connections = new Set<Connection>();
  #counters: Counters = zero();
  #mode: FaultMode;
  #port = 0;
  #host: string;
  #seq = 0;
  #closing: Promise<void> | undefined;

  private constructor(options: FaultProxyOptions) {
    super();
    this.#target = parseTarget(options.target);
    this.#mode = checkMode(options.mode ?? PASS);
    this.#host = options.host ?? '127.0.0.1';
    const onSocket = (socket: net.Socket): void => this.#accept(socket);
    if (options.tls !== undefined) {
      const server = tls.createServer({
        key: options.tls.key,
        cert: options.tls.cert,
        ALPNProtocols: ['h2'],
      });
      server.on('secureConnection', onSocket);
      server.on('tlsClientError', (_err, socket) => {
        this.#counters.tlsFailures += 1;
        socket.destroy();
      });
      this.#server = server;
    } else {
      this.#server = net.createServer(onSocket);
    }
    this.#server.on('error', () => {});
  }

  /** Starts listening on a free loopback port. */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(options);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(0, proxy.#host, () => {
        proxy.#server.off('error', reject);
        resolve();
      });
    });
    proxy.#port = (proxy.#server.address() as net.AddressInfo).port;
    return proxy;
  }

  /** `host:port` to give the client instead of the broker's endpoint. */
  get endpoint(): string {
    return `${this.#host}:${this.#port}`;
  }

  /** The listening port. */
  get port(): number {
    return this.#port;
  }

  /** The mode of new connections. */
  get mode(): FaultMode {
    return this.#mode;
  }

  /**
   * Switches the mode of new connections and (unless `existing: false`) of the open ones. For
   * `close-after` every open connection gets its own budget of `bytes` from now.
   */
  set(mode: FaultMode, options: { existing?: boolean } = {}): void {
    this.#mode = checkMode(mode);
    if (options.existing === false) return;
    for (const c of [...this.#connections]) c.setMode(mode);
  }

  /** Back to `pass` for new and open connections. */
  heal(): void {
    this.set(PASS);
  }

  /** Blackholes the open connections only; new connections get the current mode (normally `pass`). */
  blackholeExisting(): void {
    for (const c of [...this.#connections]) c.setMode({ kind: 'blackhole' });
  }

  /** Sends a TCP RST on every open connection now (the mode of new connections is unchanged). */
  resetAll(): number {
    const open = [...this.#connections];
    for (const c of open) c.reset();
    return open.length;
  }

  /** Closes every open connection with a FIN now. */
  closeAll(): number {
    const open = [...this.#connections];
    for (const c of open) c.cut('fin');
    return open.length;
  }

  /** Counters. */
  stats(): FaultProxyStats {
    return { ...this.#counters, active: this.#connections.size };
  }

  /** Zeroes the counters (active connections stay). */
  resetStats(): void {
    this.#counters = zero();
  }

  /**
   * Resolves once `accepted` reaches `n` (counted since the last reset); rejects after `timeoutMs`.
   * Waits on the proxy's own `connection` events, not on time.
   */
  waitForAccepted(n: number, timeoutMs = 10_000): Promise<void> {
    if (this.#counters.accepted >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('connection', onConnection);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${n} accepted connections`));
      }, timeoutMs);
      timer.unref();
      const onConnection = (): void => {
        if (this.#counters.accepted < n) return;
        clearTimeout(timer);
        this.off('connection', onConnection);
        resolve();
      };
      this.on('connection', onConnection);
    });
  }

  /** Closes the listener and every connection; clears every timer. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      for (const c of [...this.#connections]) c.destroy();
    });
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @internal */
  count(key: keyof Counters, n: number): void {
    this.#counters[key] += n;
  }

  /** @internal */
  forget(conn: Connection): void {
    if (this.#connections.delete(conn)) this.emit('closed', conn.index);
  }

  #accept(socket: net.Socket): void {
    socket.on('error', () => {});
    if (this.#closing !== undefined) {
      socket.destroy();
      return;
    }
    this.#counters.accepted += 1;
    const index = ++this.#seq;
    if (this.#mode.kind === 'reset') {
      this.#counters.resets += 1;
      socket.resetAndDestroy();
      this.emit('connection', index);
      return;
    }
    const conn = new Connection(this, index, socket, this.#target);
    this.#connections.add(conn);
    conn.setMode(this.#mode);
    this.emit('connection', index);
  }
}
