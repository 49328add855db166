/**
 * The live connection to the cloud's (or the edge andon server's) socket.io hub, for the whole app:
 * one socket, reconnecting forever, its state as a store (banner within 2 s of a drop, change controls
 * disabled while down), and resynchronisation on every (re)connect: each registered view fetches fresh
 * state over REST at once instead of waiting for the next events (issue 14).
 *
 * Components subscribe with `on(event, fn)` and drop the subscription when destroyed; the socket holds
 * one listener per event name whatever the number of subscribers, so hours on an andon screen add none.
 */
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';

export type LiveStatus = 'idle' | 'connecting' | 'up' | 'down';
export type SocketFactory = (opts: Partial<ManagerOptions & SocketOptions>) => Socket;
type Handler = (payload: unknown) => void;

/**
 * Reconnect backoff: tries every 0.5-1.25 s, forever, so the views are back within 2 s of the link's
 * return (issue 14); a failed try while the cloud is away is one refused TCP connect.
 */
export const reconnectOptions = {
  reconnection: true,
  reconnectionAttempts: Infinity,
  reconnectionDelay: 500,
  reconnectionDelayMax: 1000,
  randomizationFactor: 0.25,
  timeout: 5000,
} as const;

/** When the server refuses the handshake (session gone) socket.io stops retrying: we retry after this. */
const refusedRetryMs = 5000;
/** ... and when the server ends the socket itself (it is shutting down): back soon, try again soon. */
const serverEndedRetryMs = 1000;

export class LiveConnection {
  status = $state<LiveStatus>('idle');
  /** when the connection was lost (null while up and before the first attempt) */
  downSince = $state<number | null>(null);
  /** when the views were last resynchronised after a (re)connect */
  resyncedAt = $state<number | null>(null);
  /** (re)connects so far: a view can show "reconnected" after a drop */
  connects = $state(0);

  private socket: Socket | null = null;
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly resyncers = new Set<() => Promise<unknown> | unknown>();
  private readonly connectHooks = new Set<(socket: Socket) => void>();
  private retry: ReturnType<typeof setTimeout> | null = null;
  private detachWindow: (() => void) | null = null;

  /** told when the hub refuses the handshake (e.g. the session ended): the app checks the session */
  onRefused: ((reason: string) => void) | undefined;

  constructor(
    private readonly factory: SocketFactory = (opts) => io(opts),
    private readonly now: () => number = () => Date.now(),
  ) {}

  get up(): boolean {
    return this.status === 'up';
  }

  start(): void {
    if (this.socket) return;
    this.status = 'connecting';
    const s = this.factory({ ...reconnectOptions, path: '/socket.io', withCredentials: true, transports: ['websocket', 'polling'], tryAllTransports: true });
    this.socket = s;
    s.on('connect', () => void this.connected(s));
    s.on('disconnect', () => {
      this.lost();
      // a server that ends the socket itself (shutdown, restart) is not retried by socket.io: we do
      if (!s.active) this.scheduleRetry(serverEndedRetryMs);
    });
    s.on('connect_error', (err: Error) => {
      this.lost();
      // a refusal by the server's middleware ends socket.io's own retries: keep trying, slower
      if (!s.active) {
        this.onRefused?.(err.message);
        this.scheduleRetry(refusedRetryMs);
      }
    });
    for (const event of this.handlers.keys()) this.bind(event);
    this.watchNetwork();
  }

  stop(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.detachWindow?.();
    this.detachWindow = null;
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.socket = null;
    this.status = 'idle';
  }

  /** Subscribes to a live event; returns the unsubscribe function (call it when the component goes). */
  on<T>(event: string, fn: (payload: T) => void): () => void {
    let set = this.handlers.get(event);
    if (!set) {
      this.handlers.set(event, (set = new Set()));
      this.bind(event);
    }
    set.add(fn as Handler);
    return () => {
      set.delete(fn as Handler);
      if (set.size === 0) {
        this.handlers.delete(event);
        this.socket?.off(event);
      }
    };
  }

  /** Runs `fn` after every (re)connect to fetch fresh state; returns the unregister function. */
  onResync(fn: () => Promise<unknown> | unknown): () => void {
    this.resyncers.add(fn);
    return () => void this.resyncers.delete(fn);
  }

  /** Runs `fn` on every connect with the socket (to join rooms again: the server forgets them on a drop). */
  onConnect(fn: (socket: Socket) => void): () => void {
    this.connectHooks.add(fn);
    if (this.socket?.connected) fn(this.socket);
    return () => void this.connectHooks.delete(fn);
  }

  /** Sends to the hub if connected (a room request while down is repeated by onConnect hooks). */
  emit(event: string, ...args: unknown[]): void {
    if (this.socket?.connected) this.socket.emit(event, ...args);
  }

  /** Fetches fresh state for every registered view now. */
  async resync(): Promise<void> {
    await Promise.allSettled([...this.resyncers].map(async (f) => f()));
    this.resyncedAt = this.now();
  }

  private bind(event: string): void {
    this.socket?.on(event, (payload: unknown) => {
      for (const h of this.handlers.get(event) ?? []) h(payload);
    });
  }

  private async connected(s: Socket): Promise<void> {
    this.status = 'up';
    this.downSince = null;
    this.connects++;
    for (const hook of this.connectHooks) hook(s);
    await this.resync();
  }

  private lost(): void {
    if (this.status !== 'down') this.downSince = this.now();
    this.status = 'down';
  }

  private scheduleRetry(ms: number): void {
    if (this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      if (this.socket && !this.socket.connected) this.socket.connect();
    }, ms);
  }

  // the browser knows at once when the network is gone; the socket would only notice at its next ping
  private watchNetwork(): void {
    if (typeof window === 'undefined') return;
    const offline = () => this.lost();
    const online = () => {
      if (this.socket?.connected) void this.connected(this.socket);
      else this.socket?.connect();
    };
    window.addEventListener('offline', offline);
    window.addEventListener('online', online);
    this.detachWindow = () => {
      window.removeEventListener('offline', offline);
      window.removeEventListener('online', online);
    };
  }
}

export const live = new LiveConnection();
