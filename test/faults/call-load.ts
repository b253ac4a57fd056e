import { randomUUID } from 'node:crypto';
import type { Platform } from '#testing';
import { LoadParty, RequestFailed } from './load-party.js';

const RELAY_EVERY_MS = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const candidate = (n: number) => ({
  candidate: `candidate:${n} 1 udp 2122260223 127.0.0.1 ${10000 + (n % 50000)} typ host`,
  sdpMid: '0',
  sdpMLineIndex: 0,
});
const numberOf = (payload: Record<string, unknown>) =>
  Number(/^candidate:(\d+) /.exec((payload.candidate as { candidate: string }).candidate)![1]);

/** One direction of one call: what the sender had acknowledged, and what the receiver applied. */
interface Direction {
  callId: string;
  acked: Map<number, number>; // number → ack time
  applied: Map<number, number>; // number → apply count
  lastAppliedAckAt: number;
}

export interface LiveCall {
  callId: string;
  caller: LoadParty;
  callee: LoadParty;
  directions: [Direction, Direction];
  endedBy: string | null;
}

export interface AckedTransition {
  callId: string;
  type: 'invited' | 'accepted' | 'hung-up';
  at: number;
}

/**
 * The platform under load, as the fault suite's users see it: live calls that relay a numbered ICE
 * candidate each way every 200 ms, and new calls placed continuously through their whole life
 * (invite, ringing, accept, relays, hangup). It records every acknowledgement, so the suite can
 * ask afterwards what the server promised and did not keep.
 */
export class CallLoad {
  readonly live: LiveCall[] = [];
  readonly transitions: AckedTransition[] = [];
  readonly flows = { started: 0, completed: 0, failed: [] as { at: number; reason: string }[], completedAt: [] as number[] };
  private readonly parties: LoadParty[] = [];
  private running = true;
  private paused: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly loops: Promise<void>[] = [];
  private readonly tag = randomUUID().slice(0, 6);

  constructor(private readonly platform: Platform) {}

  gatewayUrls = (): string[] => this.platform.gateways.map((g) => g.url);

  party(userId: string, onRelay?: (callId: string, payload: Record<string, unknown>) => void): LoadParty {
    const party = new LoadParty({
      userId,
      deviceId: `${userId}-phone`,
      token: () => this.platform.token(userId),
      gateways: this.gatewayUrls,
      onRelay: (callId, _event, payload) => onRelay?.(callId, payload),
    });
    this.parties.push(party);
    return party;
  }

  /** `n` answered calls, caller and callee on different nodes, each relaying both ways from now on. */
  async startLiveCalls(n: number): Promise<void> {
    await Promise.all(Array.from({ length: n }, (_, i) => this.startLiveCall(i)));
  }

  /**
   * One more live call. `callerUrl` pins the caller's first socket (e.g. to a proxy); `beforeAccept`
   * runs once the call rings, just before the callee answers (to arm a fault for that accept).
   */
  async startLiveCall(i: number, options: { callerUrl?: string; beforeAccept?: () => void } = {}): Promise<LiveCall> {
    const urls = this.gatewayUrls();
    const directions: [Direction, Direction] = [this.direction(''), this.direction('')];
    const onRelay = (d: Direction) => (callId: string, payload: Record<string, unknown>) => {
      if (callId !== d.callId) return;
      const n = numberOf(payload);
      d.applied.set(n, (d.applied.get(n) ?? 0) + 1);
      d.lastAppliedAckAt = Math.max(d.lastAppliedAckAt, d.acked.get(n) ?? 0);
    };
    // directions[0]: caller → callee (applied by the callee); [1]: callee → caller.
    const caller = this.party(`live-a${i}-${this.tag}`, onRelay(directions[1]));
    const callee = this.party(`live-b${i}-${this.tag}`, onRelay(directions[0]));
    await caller.connect(options.callerUrl ?? urls[i % urls.length]);
    await callee.connect(urls[(i + 1) % urls.length]);
    const { callId } = await this.connect(caller, callee, options.beforeAccept);
    directions[0].callId = directions[1].callId = callId;
    const call: LiveCall = { callId, caller, callee, directions, endedBy: null };
    this.live.push(call);
    for (const [from, d] of [
      [caller, directions[0]],
      [callee, directions[1]],
    ] as const)
      this.loops.push(this.relayLoop(call, from, d));
    return call;
  }

  /** New calls, one every `everyMs`, each driven through its whole life. */
  startFlows(everyMs: number): void {
    this.loops.push(
      (async () => {
        for (let k = 0; this.running; k++) {
          if (this.paused) await this.paused;
          this.flows.started += 1;
          const flow = this.flow(k).then(
            () => {
              this.flows.completed += 1;
              this.flows.completedAt.push(Date.now());
            },
            (error: unknown) => void this.flows.failed.push({ at: Date.now(), reason: String(error) }),
          );
          this.inFlight.add(flow);
          void flow.finally(() => this.inFlight.delete(flow));
          await sleep(everyMs); // the load's pace, not a wait for an event
        }
      })(),
    );
  }

  /** Stops the load, hangs up the live calls and closes every socket; a second call does nothing. */
  /**
   * Holds new calls until the returned function is called, once those in flight have finished: a
   * fault armed for "the next accept" must meet the accept the test chose.
   */
  async pauseFlows(): Promise<() => void> {
    let resume!: () => void;
    this.paused = new Promise<void>((r) => (resume = r));
    await Promise.all([...this.inFlight]);
    return () => {
      this.paused = null;
      resume();
    };
  }

  /** True once any party's socket has dropped, or any request was refused with one of `codes`, after `since`. */
  dropSeenSince(since: number): boolean {
    return this.parties.some((p) => p.lastDropAt > since);
  }

  refusalSeenSince(codes: string[], since: number): boolean {
    return this.parties.some((p) => codes.some((code) => (p.lastRefusedAt.get(code) ?? 0) > since));
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await Promise.all(this.loops);
    await Promise.all(
      this.live
        .filter((c) => !c.endedBy)
        .map((c) =>
          c.caller.request('call:hangup', { callId: c.callId }).then(
            () => this.acked(c.callId, 'hung-up'),
            () => undefined,
          ),
        ),
    );
    for (const party of this.parties) party.close();
  }

  /** Acknowledged relays that their receiver never applied, each with the instant it was acked. */
  lostRelays(): { callId: string; n: number; ackedAt: number }[] {
    return this.live.flatMap((call) =>
      call.directions.flatMap((d) =>
        [...d.acked].filter(([n]) => !d.applied.has(n)).map(([n, ackedAt]) => ({ callId: d.callId, n, ackedAt })),
      ),
    );
  }

  duplicateRelays(): number {
    return this.live.flatMap((c) => c.directions).reduce((sum, d) => sum + [...d.applied.values()].filter((count) => count > 1).length, 0);
  }

  /** True once every live call has applied, both ways, a relay acknowledged after `since`. */
  relaysFlowSince(since: number): boolean {
    return this.live.filter((c) => !c.endedBy).every((c) => c.directions.every((d) => d.lastAppliedAckAt > since));
  }

  /** For a fault that does not recover: which directions are stuck, and how their parties stand. */
  stalled(since: number): string[] {
    return this.live
      .filter((c) => !c.endedBy)
      .flatMap((c) =>
        c.directions
          .map((d, i) => ({ d, from: i === 0 ? c.caller : c.callee, to: i === 0 ? c.callee : c.caller }))
          .filter(({ d }) => d.lastAppliedAckAt <= since)
          .map(
            ({ d, from, to }) =>
              `${c.callId} ${from.userId}→${to.userId}: acked ${d.acked.size}, applied ${d.applied.size}; ` +
              `sender ${from.describe(c.callId)}; receiver ${to.describe(c.callId)}`,
          ),
      );
  }

  flowCompletedSince(since: number): boolean {
    return this.flows.completedAt.some((at) => at > since);
  }

  /** Waits until what was acknowledged has been applied (or `timeoutMs` passed). */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.lostRelays().length > 0 && Date.now() < deadline) await sleep(100);
  }

  /** Invite, ring, accept and the caller's `call:accepted` (or a resync that finds the call active). */
  async connect(caller: LoadParty, callee: LoadParty, beforeAccept?: () => void): Promise<{ callId: string }> {
    const invite = await caller.request('call:invite', { calleeId: callee.userId, media: 'video', idempotencyKey: `k-${randomUUID()}` });
    const callId = invite.callId;
    this.acked(callId, 'invited');
    caller.carry(callId, invite.resumeToken!);
    // A phone that missed call:incoming is woken by its push and knows the call id from it.
    await callee.next('call:incoming', callId, 5_000);
    await callee.request('call:ringing', { callId });
    beforeAccept?.();
    const accepted = await callee.request('call:accept', { callId });
    this.acked(callId, 'accepted');
    callee.carry(callId, accepted.resumeToken, accepted.version);
    // The ack already lets the callee relay; the caller learns of the answer from call:accepted.
    const event = await caller.next('call:accepted', callId, 5_000);
    if (!event) {
      const state = await caller.request('call:state', { callId });
      if (state.state !== 'active') throw new Error(`call:accepted never came and the call is ${state.state}`);
    }
    await Promise.all([caller, callee].map((p) => p.request('call:ice-state', { callId, state: 'connected' })));
    return { callId };
  }

  private async flow(k: number): Promise<void> {
    const caller = this.party(`flow-a${k}-${this.tag}`);
    const callee = this.party(`flow-b${k}-${this.tag}`);
    try {
      await Promise.all([caller.connect(), callee.connect()]);
      const { callId } = await this.connect(caller, callee);
      await caller.request('call:sdp', { callId, description: { type: 'offer', sdp: 'v=0\r\n' } });
      await callee.request('call:sdp', { callId, description: { type: 'answer', sdp: 'v=0\r\n' } });
      for (let n = 1; n <= 4; n++) {
        await caller.request('call:ice-candidate', { callId, candidate: candidate(n) });
        await callee.request('call:ice-candidate', { callId, candidate: candidate(n) });
      }
      // docs/reconnection.md: a hangup whose ack was lost (the calls app died after its commit) is
      // answered CALL_ALREADY_ENDED when retried, and counts as done.
      const hungUp = await caller.request('call:hangup', { callId }).then(
        () => true,
        (error: unknown) => {
          if (error instanceof RequestFailed && error.code === 'CALL_ALREADY_ENDED') return false;
          throw error;
        },
      );
      if (hungUp) this.acked(callId, 'hung-up');
      if (!(await callee.next('call:ended', callId, 5_000))) {
        const state = await callee.request('call:state', { callId });
        if (state.state !== 'ended') throw new Error(`the callee never heard the end and the call is ${state.state}`);
      }
    } finally {
      caller.close();
      callee.close();
    }
  }

  private async relayLoop(call: LiveCall, from: LoadParty, d: Direction): Promise<void> {
    for (let n = 1; this.running && !call.endedBy; n++) {
      try {
        await from.request('call:ice-candidate', { callId: call.callId, candidate: candidate(n) });
        const at = Date.now();
        d.acked.set(n, at);
        // The receiver often applies a relay before its sender has the ack.
        if (d.applied.has(n)) d.lastAppliedAckAt = Math.max(d.lastAppliedAckAt, at);
      } catch (error) {
        const code = error instanceof RequestFailed ? error.code : String(error);
        // A relay refused for a call this device should carry: resync, as the docs say.
        const state = await from.request('call:state', { callId: call.callId }).catch(() => null);
        if (state?.state === 'ended') call.endedBy = `${code}: ended as ${state.endReason}`;
        else n -= 1;
      }
      await sleep(RELAY_EVERY_MS); // the load's pace, not a wait for an event
    }
  }

  private acked(callId: string, type: AckedTransition['type']): void {
    this.transitions.push({ callId, type, at: Date.now() });
  }

  private direction(callId: string): Direction {
    return { callId, acked: new Map(), applied: new Map(), lastAppliedAckAt: 0 };
  }
}
