import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { io, type Socket } from 'socket.io-client';
import { SeqBuffer } from '#client-sdk';
import {
  type Ack,
  type ClientEventName,
  type ClientPayload,
  type ClientResult,
  type ClientToServerEvents,
  SIGNALING_NAMESPACE,
  type ServerEventName,
  type ServerPayload,
  type ServerToClientEvents,
} from '#contracts';

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export async function mintToken(
  secret: string,
  userId: string,
  options: { name?: string; expiresIn?: string; issuer?: string; audience?: string } = {},
): Promise<string> {
  let jwt = new SignJWT(options.name ? { name: options.name } : {})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '1h');
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}

/**
 * A device as the tests see it: a typed socket.io client plus a recorder of every server event,
 * so a test can wait for an event that may already have arrived.
 */
export class TestDevice {
  readonly received: { event: ServerEventName; payload: unknown }[] = [];
  readonly duplicates: { event: ServerEventName; payload: unknown }[] = [];
  /** The SDK's reorder buffer per call: seen seqs are dropped, early ones held until the gap fills. */
  private readonly buffers = new Map<string, SeqBuffer<{ event: ServerEventName; payload: unknown }>>();
  /** Carried over from a previous socket of the same device, for a resume. */
  private readonly startSeq = new Map<string, number>();
  private waiters: { event: ServerEventName; match: (p: unknown) => boolean; resolve: (p: unknown) => void }[] = [];

  private constructor(
    readonly userId: string,
    readonly deviceId: string,
    readonly socket: TestSocket,
  ) {
    this.listen(socket);
  }

  private listen(socket: TestSocket): void {
    socket.onAny((event: ServerEventName, payload: unknown) => {
      const { callId, seq } = (payload ?? {}) as { callId?: string; seq?: number };
      if (!callId || typeof seq !== 'number') return this.accept(event, payload);
      if (!this.buffer(callId).push(seq, { event, payload })) this.duplicates.push({ event, payload });
    });
  }

  private buffer(callId: string): SeqBuffer<{ event: ServerEventName; payload: unknown }> {
    let buffer = this.buffers.get(callId);
    if (!buffer) {
      buffer = new SeqBuffer((m) => this.accept(m.event, m.payload), this.startSeq.get(callId) ?? 0);
      this.buffers.set(callId, buffer);
    }
    return buffer;
  }

  lastSeqOf(callId: string): number {
    return this.buffers.get(callId)?.lastSeq ?? this.startSeq.get(callId) ?? 0;
  }

  /** Continue a previous socket's view of a call (what a reconnecting app remembers). */
  continueFrom(previous: TestDevice): void {
    for (const [callId, buffer] of previous.buffers) this.startSeq.set(callId, buffer.lastSeq);
  }

  private accept(event: ServerEventName, payload: unknown): void {
    this.received.push({ event, payload });
    this.waiters = this.waiters.filter((w) => {
      if (w.event !== event || !w.match(payload)) return true;
      w.resolve(payload);
      return false;
    });
  }

  static async connect(
    gatewayUrl: string,
    token: string | undefined,
    userId: string,
    deviceId = `dev-${randomUUID().slice(0, 8)}`,
    appState: 'foreground' | 'background' = 'foreground',
  ): Promise<TestDevice> {
    const socket: TestSocket = io(`${gatewayUrl}${SIGNALING_NAMESPACE}`, {
      auth: { token, deviceId, appState },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    // Listen before the handshake ends: an event sent right after it (a token warning) can arrive in
    // the same read as the CONNECT packet, and is dispatched before an await after 'connect' resumes.
    const device = new TestDevice(userId, deviceId, socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => reject(err));
    });
    return device;
  }

  send<E extends ClientEventName>(event: E, payload: ClientPayload<E>, timeoutMs = 10_000): Promise<Ack<ClientResult<E>>> {
    const emit = this.socket.timeout(timeoutMs).emitWithAck as unknown as (e: E, p: unknown) => Promise<Ack<ClientResult<E>>>;
    return emit.call(this.socket.timeout(timeoutMs), event, payload);
  }

  /** Like send, but fails the test unless the server said ok. */
  async must<E extends ClientEventName>(event: E, payload: ClientPayload<E>): Promise<ClientResult<E>> {
    const ack = await this.send(event, payload);
    if (!ack.ok) throw new Error(`${event} failed: ${ack.error.code} ${ack.error.message}`);
    return ack.data;
  }

  next<E extends ServerEventName>(
    event: E,
    match: (p: ServerPayload<E>) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<ServerPayload<E>> {
    const seen = this.received.find((r) => r.event === event && match(r.payload as ServerPayload<E>));
    if (seen) return Promise.resolve(seen.payload as ServerPayload<E>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `${this.userId}/${this.deviceId}: no ${event} within ${timeoutMs} ms; got ${JSON.stringify(this.received.map((r) => r.event))}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({
        event,
        match: (p) => match(p as ServerPayload<E>),
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p as ServerPayload<E>);
        },
      });
    });
  }

  eventsFor(callId: string): ServerEventName[] {
    return this.received.filter((r) => (r.payload as { callId?: string }).callId === callId).map((r) => r.event);
  }

  close(): void {
    this.socket.close();
  }
}

/** A host ICE candidate numbered `n` (distinct port per n), as a phone would trickle it. */
export const iceCandidate = (n: number) => ({
  candidate: `candidate:${n} 1 udp 2122260223 127.0.0.1 ${50000 + n} typ host`,
  sdpMid: '0',
  sdpMLineIndex: 0,
});
