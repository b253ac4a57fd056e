import { io, type Socket } from 'socket.io-client';
import {
  type Ack,
  type AppState,
  type ClientEventName,
  type ClientPayload,
  type ClientResult,
  type ClientToServerEvents,
  type ErrorBody,
  ErrorCode,
  SIGNALING_NAMESPACE,
  type ServerToClientEvents,
} from '#contracts';
import { CallSdkError, SdkErrorCode } from './sdk-error.js';

export interface ConnectionOptions {
  /** Gateway base URL, e.g. https://calls.example.com */
  url: string;
  /**
   * Called before every (re)connect, and when the gateway warns that the socket's token is about to
   * expire (`session:token-expiring`): the fresh token is then sent with `session:refresh`.
   */
  token: () => string | Promise<string>;
  deviceId: string;
  appState?: AppState;
  requestTimeoutMs?: number;
}

export type SignalingSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** socket.io's longest backoff, also the wait before asking a failed token provider again. */
const RECONNECT_DELAY_MAX_MS = 4000;

/**
 * The socket: WebSocket only (gateway nodes share no HTTP long-polling state), automatic reconnects
 * with a fresh token each time, and requests that resolve with the ack's data or throw its error.
 */
export class SignalingConnection {
  readonly socket: SignalingSocket;
  appState: AppState;
  /** A failure with no `connect()` waiting on it (a reconnect whose token provider failed). */
  onError: (error: CallSdkError) => void = () => undefined;
  /** Rejects the `connect()` in progress, if any. */
  private failPending: ((error: CallSdkError) => void) | null = null;
  private closed = false;
  /** What the gateway said in `session:closing`, for the disconnect that follows it. */
  private closing: ErrorBody | null = null;

  constructor(private readonly options: ConnectionOptions) {
    this.appState = options.appState ?? 'foreground';
    this.socket = io(`${options.url}${SIGNALING_NAMESPACE}`, {
      transports: ['websocket'],
      autoConnect: false,
      reconnectionDelay: 500,
      reconnectionDelayMax: RECONNECT_DELAY_MAX_MS,
      auth: (cb) => void this.handshake(cb),
    });
    // A server-side disconnect (a draining node, an expired token) is not retried by socket.io itself.
    this.socket.on('disconnect', (reason) => {
      const closing = this.closing;
      this.closing = null;
      if (reason !== 'io server disconnect') return;
      // Closed for flooding: a client bug to report, and a reconnect that waits rather than flooding anew.
      if (closing?.code === ErrorCode.RATE_LIMITED) {
        this.onError(new CallSdkError(closing.code, closing.message));
        setTimeout(() => !this.closed && !this.socket.connected && this.socket.connect(), RECONNECT_DELAY_MAX_MS);
        return;
      }
      // Any other reason, AUTH_TOKEN_EXPIRED included: the handshake asks the provider for a fresh token.
      this.socket.connect();
    });
    this.socket.on('session:closing', (p) => (this.closing = p.error));
    this.socket.on('session:token-expiring', () => void this.refreshToken());
    // A draining node refuses new sockets; Socket.IO does not retry a refusal, so retry here.
    this.socket.on('connect_error', (error: Error & { data?: { code?: string } }) => {
      if (error.data?.code === 'NODE_DRAINING') setTimeout(() => this.socket.connect(), 500 + Math.random() * 1000);
    });
    this.socket.on('session:reconnect', () => {
      this.socket.disconnect();
      this.socket.connect();
    });
  }

  connect(): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    this.closed = false;
    return new Promise((resolve, reject) => {
      const settle = () => (this.socket.off('connect', ok), this.socket.off('connect_error', bad), (this.failPending = null));
      const ok = () => (settle(), resolve());
      const bad = (error: Error & { data?: { code: string; message: string } }) => {
        settle();
        reject(error.data ? new CallSdkError(error.data.code as CallSdkError['code'], error.data.message) : error);
      };
      this.failPending = (error) => (settle(), reject(error));
      this.socket.once('connect', ok);
      this.socket.once('connect_error', bad);
      this.socket.connect();
    });
  }

  /**
   * The handshake payload, with a fresh token. socket.io waits for it forever, so a provider that
   * fails must end the attempt here: `connect()` rejects, and a reconnect asks the provider again later.
   */
  private async handshake(cb: (auth: Record<string, unknown>) => void): Promise<void> {
    let token: string;
    try {
      token = await this.options.token();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const failure = new CallSdkError(SdkErrorCode.TOKEN_UNAVAILABLE, `Could not get a token to connect: ${reason}`);
      this.socket.disconnect();
      if (this.failPending) return this.failPending(failure);
      this.onError(failure);
      setTimeout(() => !this.closed && !this.socket.connected && this.socket.connect(), RECONNECT_DELAY_MAX_MS);
      return;
    }
    cb({ token, deviceId: this.options.deviceId, appState: this.appState });
  }

  /**
   * Keeps the socket, and the call on it, past the token's expiry. On failure the gateway closes the
   * socket at expiry, and the reconnect that follows asks the provider again and resumes the call.
   */
  private async refreshToken(): Promise<void> {
    let token: string;
    try {
      token = await this.options.token();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return this.onError(new CallSdkError(SdkErrorCode.TOKEN_UNAVAILABLE, `Could not get a token to refresh the session: ${reason}`));
    }
    await this.request('session:refresh', { token }).catch((error: unknown) =>
      this.onError(error instanceof CallSdkError ? error : new CallSdkError(SdkErrorCode.TIMEOUT, String(error))),
    );
  }

  /**
   * Drops the socket and connects again now, not at socket.io's next backoff step (up to 4 s away):
   * the network came back or changed, and a socket on the old path may be dead without knowing it.
   */
  reconnectNow(): void {
    if (this.closed) return;
    this.socket.disconnect();
    this.socket.connect();
  }

  async request<E extends ClientEventName>(event: E, payload: ClientPayload<E>, timeoutMs?: number): Promise<ClientResult<E>> {
    if (!this.socket.connected) throw new CallSdkError(SdkErrorCode.NOT_CONNECTED, `Not connected; ${event} was not sent.`);
    const timed = this.socket.timeout(timeoutMs ?? this.options.requestTimeoutMs ?? 10_000);
    const emit = timed.emitWithAck as unknown as (e: E, p: unknown) => Promise<Ack<ClientResult<E>>>;
    let ack: Ack<ClientResult<E>>;
    try {
      ack = await emit.call(timed, event, payload);
    } catch {
      throw new CallSdkError(SdkErrorCode.TIMEOUT, `${event} was not acknowledged in time.`);
    }
    if (!ack.ok) throw new CallSdkError(ack.error.code, ack.error.message, ack.error.retryAfterMs);
    return ack.data;
  }

  close(): void {
    this.closed = true;
    this.socket.close();
  }
}
