import { io } from 'socket.io-client';
import { CallVersions, SeqBuffer } from '#client-sdk';
import {
  type Ack,
  type ClientEventName,
  type ClientPayload,
  type ClientResult,
  SIGNALING_NAMESPACE,
  type ServerEventName,
} from '#contracts';
import type { TestSocket } from '#testing';

/** Errors a client answers by trying again (docs/reconnection.md); every other code is final. */
const TRANSIENT = new Set(['CALLS_UNAVAILABLE', 'INTERNAL', 'TIMEOUT', 'DISCONNECTED', 'NODE_DRAINING']);
const ACK_TIMEOUT_MS = 6_000;
const CONNECT_TIMEOUT_MS = 5_000;
const GIVE_UP_MS = 60_000;
/** docs/reconnection.md: a gap still open this long after it appeared is filled by a replay. */
const GAP_REPLAY_AFTER_MS = 1_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RequestFailed extends Error {
  constructor(
    readonly event: string,
    readonly code: string,
  ) {
    super(`${event}: ${code}`);
  }
}

interface CarriedCall {
  resumeToken: string;
  buffer: SeqBuffer<{ event: ServerEventName; payload: Record<string, unknown> }>;
  resuming: Promise<void> | null;
  gapTimer: NodeJS.Timeout | null;
}

export interface PartyOptions {
  userId: string;
  deviceId: string;
  token: () => Promise<string>;
  /** Where to (re)connect: the live gateway URLs, tried in turn. */
  gateways: () => string[];
  /** Applied relays and lifecycle events, after the client's dedupe. */
  onRelay?: (callId: string, event: ServerEventName, payload: Record<string, unknown>) => void;
  onEvent?: (event: ServerEventName, payload: Record<string, unknown>) => void;
}

/**
 * A device that follows docs/reconnection.md to the letter, for load under faults: a socket that
 * comes back by itself on any live node, `call:resume` with the seq buffer's lastSeq and epoch,
 * relays queued until the resume is acknowledged, lifecycle events deduplicated by version,
 * transient errors retried. What it applies is what a user's app would have shown.
 */
export class LoadParty {
  socket: TestSocket | null = null;
  readonly calls = new Map<string, CarriedCall>();
  /** Relays the seq buffer dropped as already applied (live and replayed, or redelivered). */
  relayDuplicatesDropped = 0;
  reconnects = 0;
  /** When the socket last dropped, and when each error code last refused a request: what a user saw of a fault. */
  lastDropAt = 0;
  readonly lastRefusedAt = new Map<string, number>();
  private readonly versions = new CallVersions();
  private readonly heard: { event: ServerEventName; payload: Record<string, unknown> }[] = [];
  private readonly waiters = new Set<{ event: ServerEventName; callId: string; resolve: (p: Record<string, unknown> | null) => void }>();
  private connecting: Promise<void> | null = null;
  private closed = false;
  private nextGateway = 0;

  constructor(readonly options: PartyOptions) {}

  get userId(): string {
    return this.options.userId;
  }

  async connect(url?: string): Promise<void> {
    this.connecting ??= this.connectLoop(url).finally(() => (this.connecting = null));
    return this.connecting;
  }

  /** Starts carrying a call (invite, accept or glare merge acknowledged). */
  carry(callId: string, resumeToken: string, version = 1): void {
    if (this.calls.has(callId)) return;
    const buffer = new SeqBuffer<{ event: ServerEventName; payload: Record<string, unknown> }>((m) =>
      this.options.onRelay?.(callId, m.event, m.payload),
    );
    this.calls.set(callId, { resumeToken, buffer, resuming: null, gapTimer: null });
    this.versions.raise(callId, version);
  }

  drop(callId: string): void {
    this.calls.delete(callId);
  }

  /**
   * Sends until the server answers ok or with a final error. Relays wait for the call's resume, as
   * the docs ask, so nothing is sent on a socket that does not carry the call yet.
   */
  async request<E extends ClientEventName>(event: E, payload: ClientPayload<E>, retry = true): Promise<ClientResult<E>> {
    const deadline = Date.now() + GIVE_UP_MS;
    for (let attempt = 0; ; attempt++) {
      const callId = (payload as { callId?: string }).callId;
      await this.ready(callId && event !== 'call:resume' ? callId : undefined);
      const ack = await this.emit(event, payload);
      if (ack.ok) return ack.data;
      this.lastRefusedAt.set(ack.error.code, Date.now());
      if (!retry || !TRANSIENT.has(ack.error.code) || Date.now() > deadline) throw new RequestFailed(event, ack.error.code);
      await sleep(Math.min(100 * 2 ** attempt, 1000) * (0.5 + Math.random()));
    }
  }

  /** The lifecycle event for `callId` (already heard or still to come), or null after `timeoutMs`. */
  next(event: ServerEventName, callId: string, timeoutMs: number): Promise<Record<string, unknown> | null> {
    const seen = this.heard.find((h) => h.event === event && h.payload.callId === callId);
    if (seen) return Promise.resolve(seen.payload);
    return new Promise((resolve) => {
      const timer = setTimeout(() => waiter.resolve(null), timeoutMs);
      const waiter = {
        event,
        callId,
        resolve: (payload: Record<string, unknown> | null) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(payload);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** The phone changed networks: the old socket is left as it is (maybe half-open) and a new one resumes. */
  async moveTo(url: string): Promise<void> {
    const old = this.socket;
    this.socket = null;
    old?.removeAllListeners();
    old?.offAny();
    old?.close();
    await this.connect(url);
    for (const callId of this.calls.keys()) this.markResuming(callId);
  }

  describe(callId: string): string {
    const call = this.calls.get(callId);
    const buffer = call ? `lastSeq ${call.buffer.lastSeq} epoch ${call.buffer.epoch}` : 'not carried';
    return `${this.socket?.connected ? 'connected' : 'disconnected'}, reconnects ${this.reconnects}, ${call?.resuming ? 'resuming, ' : ''}${buffer}`;
  }

  close(): void {
    this.closed = true;
    for (const waiter of [...this.waiters]) waiter.resolve(null);
    this.socket?.close();
  }

  private async ready(callId?: string): Promise<void> {
    while (!this.socket?.connected) {
      if (this.closed) throw new RequestFailed('request', 'CLOSED');
      await this.connect();
    }
    const call = callId ? this.calls.get(callId) : undefined;
    if (call?.resuming) await call.resuming;
  }

  private emit<E extends ClientEventName>(event: E, payload: ClientPayload<E>): Promise<Ack<ClientResult<E>>> {
    const socket = this.socket!;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ ok: false, error: { code: 'TIMEOUT', message: 'no ack' } } as never), ACK_TIMEOUT_MS);
      const onDisconnect = () => finish({ ok: false, error: { code: 'DISCONNECTED', message: 'socket closed' } } as never);
      const finish = (ack: Ack<ClientResult<E>>) => {
        clearTimeout(timer);
        socket.off('disconnect', onDisconnect);
        resolve(ack);
      };
      socket.once('disconnect', onDisconnect);
      (socket.emit as (e: string, p: unknown, cb: (a: Ack<ClientResult<E>>) => void) => void)(event, payload, finish);
    });
  }

  private async connectLoop(preferred?: string): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      const urls = this.options.gateways();
      const url = preferred ?? urls[this.nextGateway++ % urls.length]!;
      preferred = undefined;
      try {
        await this.open(url);
        return;
      } catch {
        await sleep(Math.min(200 * 2 ** attempt, 2000) * (0.5 + Math.random()));
      }
    }
  }

  private async open(url: string): Promise<void> {
    const socket: TestSocket = io(`${url}${SIGNALING_NAMESPACE}`, {
      auth: { token: await this.options.token(), deviceId: this.options.deviceId, appState: 'foreground' },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: 5_000,
    });
    // Before the handshake ends: what the node sends right after it can share a read with CONNECT.
    socket.onAny((event: ServerEventName, payload: Record<string, unknown>) => this.receive(event, payload));
    await new Promise<void>((resolve, reject) => {
      // A node that accepts the socket but never completes the handshake must not hold us forever.
      const timer = setTimeout(() => fail(new Error('handshake timed out')), CONNECT_TIMEOUT_MS);
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.close();
        reject(error);
      };
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('connect_error', fail);
    });
    socket.on('disconnect', () => {
      if (this.closed || this.socket !== socket) return;
      this.reconnects += 1;
      this.lastDropAt = Date.now();
      for (const callId of this.calls.keys()) this.markResuming(callId);
      void this.connect();
    });
    const previous = this.socket;
    this.socket = socket;
    if (previous) for (const callId of this.calls.keys()) this.markResuming(callId);
  }

  /** A gap that outlives GAP_REPLAY_AFTER_MS (its sender's node died mid-relay) is replayed by a resume. */
  private watchGap(callId: string, call: CarriedCall): void {
    if (!call.buffer.hasGap || call.gapTimer || call.resuming) return;
    const stuckAt = call.buffer.lastSeq;
    call.gapTimer = setTimeout(() => {
      call.gapTimer = null;
      if (this.calls.get(callId) === call && call.buffer.hasGap && call.buffer.lastSeq === stuckAt && !call.resuming)
        this.markResuming(callId);
    }, GAP_REPLAY_AFTER_MS);
  }

  /** Resume runs once per call per socket; relays for the call wait on it. */
  private markResuming(callId: string): void {
    const call = this.calls.get(callId);
    if (!call || call.resuming) return; // one pending resume already waits for the next socket
    const resuming = this.resume(callId, call).finally(() => {
      if (call.resuming === resuming) call.resuming = null;
    });
    call.resuming = resuming;
  }

  private async resume(callId: string, call: CarriedCall): Promise<void> {
    try {
      const result = await this.request('call:resume', {
        callId,
        resumeToken: call.resumeToken,
        lastSeq: call.buffer.lastSeq,
        ...(call.buffer.epoch !== undefined ? { epoch: call.buffer.epoch } : {}),
      });
      call.resumeToken = result.resumeToken;
      call.buffer.adopt(result.epoch);
      this.versions.raise(callId, result.version);
    } catch (error) {
      // Ended while away (CALL_ALREADY_ENDED), or refused: the call is over for this device.
      this.calls.delete(callId);
      this.hear('call:ended', { callId, reason: error instanceof RequestFailed ? error.code : String(error) });
    }
  }

  private receive(event: ServerEventName, payload: Record<string, unknown>): void {
    const callId = payload.callId as string | undefined;
    const call = callId ? this.calls.get(callId) : undefined;
    if (typeof payload.seq === 'number') {
      if (!call || !callId) return;
      if (!call.buffer.push(payload.seq, { event, payload }, payload.epoch as number | undefined)) this.relayDuplicatesDropped += 1;
      this.watchGap(callId, call);
      return;
    }
    if (event === 'call:resume-token' && call) call.resumeToken = payload.resumeToken as string;
    const version = payload.version as number | undefined;
    if (callId && version !== undefined && !this.versions.fresh(callId, version)) return;
    this.hear(event, payload);
  }

  private hear(event: ServerEventName, payload: Record<string, unknown>): void {
    this.heard.push({ event, payload });
    for (const waiter of [...this.waiters]) if (waiter.event === event && waiter.callId === payload.callId) waiter.resolve(payload);
    this.options.onEvent?.(event, payload);
  }
}
