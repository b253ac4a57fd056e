import { io, type Socket } from 'socket.io-client';
import {
  type Ack,
  type AppState,
  type ClientEventName,
  type ClientPayload,
  type ClientResult,
  type ClientToServerEvents,
  SIGNALING_NAMESPACE,
  type ServerToClientEvents,
} from '#contracts';
import { CallSdkError } from './sdk-error.js';

export interface ConnectionOptions {
  /** Gateway base URL, e.g. https://calls.example.com */
  url: string;
  /** Called before every (re)connect: the gateway checks the token only at the handshake. */
  token: () => string | Promise<string>;
  deviceId: string;
  appState?: AppState;
  requestTimeoutMs?: number;
}

export type SignalingSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * The socket: WebSocket only (gateway nodes share no HTTP long-polling state), automatic reconnects
 * with a fresh token each time, and requests that resolve with the ack's data or throw its error.
 */
export class SignalingConnection {
  readonly socket: SignalingSocket;
  appState: AppState;

  constructor(private readonly options: ConnectionOptions) {
    this.appState = options.appState ?? 'foreground';
    this.socket = io(`${options.url}${SIGNALING_NAMESPACE}`, {
      transports: ['websocket'],
      autoConnect: false,
      reconnectionDelay: 500,
      reconnectionDelayMax: 4000,
      auth: (cb) =>
        void Promise.resolve(options.token()).then((token) => cb({ token, deviceId: options.deviceId, appState: this.appState })),
    });
    // A server-side disconnect (a draining node) is not retried by socket.io itself.
    this.socket.on('disconnect', (reason) => {
      if (reason === 'io server disconnect') this.socket.connect();
    });
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
    return new Promise((resolve, reject) => {
      const ok = () => (this.socket.off('connect_error', bad), resolve());
      const bad = (error: Error & { data?: { code: string; message: string } }) => {
        this.socket.off('connect', ok);
        reject(error.data ? new CallSdkError(error.data.code as CallSdkError['code'], error.data.message) : error);
      };
      this.socket.once('connect', ok);
      this.socket.once('connect_error', bad);
      this.socket.connect();
    });
  }

  async request<E extends ClientEventName>(event: E, payload: ClientPayload<E>): Promise<ClientResult<E>> {
    if (!this.socket.connected) throw new CallSdkError('NOT_CONNECTED', `Not connected; ${event} was not sent.`);
    const timed = this.socket.timeout(this.options.requestTimeoutMs ?? 10_000);
    const emit = timed.emitWithAck as unknown as (e: E, p: unknown) => Promise<Ack<ClientResult<E>>>;
    let ack: Ack<ClientResult<E>>;
    try {
      ack = await emit.call(timed, event, payload);
    } catch {
      throw new CallSdkError('TIMEOUT', `${event} was not acknowledged in time.`);
    }
    if (!ack.ok) throw new CallSdkError(ack.error.code, ack.error.message);
    return ack.data;
  }

  close(): void {
    this.socket.close();
  }
}
