import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppError, ErrorCode, REPLAY_PAGE_BYTES, REPLAY_PAGE_MESSAGES, type ServerEventName, Timeouts } from '#contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { GATEWAY_REDIS } from '../health/gateway-redis.provider.js';

/** A call's messages outlive a reconnect by far; a day-long call is not a thing on a phone. */
const RETENTION_MS = 6 * 3600 * 1000;
/** ICE candidates dominate; a call rarely passes a few hundred messages. */
const MAX_MESSAGES = 5000;
/**
 * The fast path renews the keys' expiry only every so many messages (a claim always does): two
 * PEXPIREs were a third of the store's Redis time, and hours of retention don't need per-message care.
 */
const EXPIRY_REFRESH_EVERY = 64;

// Each recipient's stream in a call has a state hash (its epoch, its last seq, the socket that
// numbers it, whether the store holds it from the call's answer on, and the bytes stored in this
// epoch: `bytes` in all, `sdp` of them SDPs) and a Redis stream of the messages. Both keys carry
// the call id as hash tag, so every script touches one cluster slot.
//
// The epoch is when this state began, by Redis' own clock (ms). State that was lost (a Redis that
// came back empty, a failover that dropped writes) is begun again with a larger epoch and seq 0, so
// clients can tell restarted numbering from duplicates.
const BEGIN = `
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  local t = redis.call('TIME')
  epoch = tostring(t[1] * 1000 + math.floor(t[2] / 1000))
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'seq', 0, 'whole', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return epoch`;

// Opened when the call is answered, before any relay can exist: the store holds all of it.
const OPEN = `
for i = 1, #KEYS do
  local epoch = redis.call('HGET', KEYS[i], 'epoch')
  if not epoch then
    local t = redis.call('TIME')
    redis.call('HSET', KEYS[i], 'epoch', tostring(t[1] * 1000 + math.floor(t[2] / 1000)), 'seq', 0, 'whole', 1)
    redis.call('PEXPIRE', KEYS[i], ARGV[1])
  end
end
return #KEYS`;

// The slow path, once per sending socket and call: this socket numbers the stream from here on,
// continuing from the stored seq, or from `floor` (the highest seq it already sent) when the store
// fell behind it in the same epoch, so no seq a peer may have seen is used twice. It returns the
// stored bytes, from which the socket counts on; a message over a byte cap gets seq 0 and changes
// nothing. ARGV[8], ARGV[9]: the message's bytes and SDP bytes; ARGV[10], ARGV[11]: the caps.
const CLAIM = `
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  local t = redis.call('TIME')
  epoch = tostring(t[1] * 1000 + math.floor(t[2] / 1000))
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'seq', 0, 'whole', 0)
end
local held = redis.call('HMGET', KEYS[1], 'bytes', 'sdp')
local bytes = tonumber(held[1] or '0')
local sdp = tonumber(held[2] or '0')
if bytes + tonumber(ARGV[8]) > tonumber(ARGV[10]) or sdp + tonumber(ARGV[9]) > tonumber(ARGV[11]) then
  return {0, epoch, bytes, sdp}
end
bytes = redis.call('HINCRBY', KEYS[1], 'bytes', ARGV[8])
sdp = redis.call('HINCRBY', KEYS[1], 'sdp', ARGV[9])
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq'))
if epoch == ARGV[6] and tonumber(ARGV[7]) > seq then seq = tonumber(ARGV[7]) end
seq = seq + 1
redis.call('HSET', KEYS[1], 'seq', seq, 'owner', ARGV[5])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], seq .. '-0', 'event', ARGV[1], 'payload', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return {seq, epoch, bytes, sdp}`;

// The fast path: the message went out already; keep it under the seq it was sent with, if this
// socket still numbers the stream and nothing came between. 0: another socket took over; -1: the
// store lost step (its state was lost or an earlier store failed). The socket checked the byte caps
// against its own count, which began at its claim: only it adds to this stream, so the two agree.
// ARGV[7], ARGV[8]: the message's bytes and SDP bytes.
const STORE = `
local state = redis.call('HMGET', KEYS[1], 'owner', 'seq')
if not state[1] then return -1 end
if state[1] ~= ARGV[6] then return 0 end
if tonumber(state[2]) ~= tonumber(ARGV[1]) - 1 then return -1 end
redis.call('HSET', KEYS[1], 'seq', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'bytes', ARGV[7])
if ARGV[8] ~= '0' then redis.call('HINCRBY', KEYS[1], 'sdp', ARGV[8]) end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], ARGV[1] .. '-0', 'event', ARGV[2], 'payload', ARGV[3])
if tonumber(ARGV[1]) % ${EXPIRY_REFRESH_EVERY} == 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
end
return 1`;

// A stream whose numbering may have run ahead of its store (its socket's node did not answer a
// resume's fence, or its stores failed) begins a new epoch: no seq a peer may have seen is used
// again, and the peer's seq buffer, on the first message of the larger epoch, applies what it holds
// and starts over (a gap within an epoch would wait for a replay that cannot fill it). What the old
// epoch held is dropped; a replay across epochs is incomplete anyway, and the client restarts ICE.
const RENEW_BODY = `
local t = redis.call('TIME')
local epoch = t[1] * 1000 + math.floor(t[2] / 1000)
local previous = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0')
if epoch <= previous then epoch = previous + 1 end
redis.call('HSET', KEYS[1], 'epoch', tostring(epoch), 'seq', 0, 'whole', 0, 'bytes', 0, 'sdp', 0)
redis.call('HDEL', KEYS[1], 'owner')
redis.call('DEL', KEYS[2])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

// After a resume's fence: renew the stream if its owner sat on a node that did not answer.
// ARGV[1]: retention; ARGV[2..]: the nodes that answered.
const ORPHANED = `
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then return 0 end
local node = string.match(owner, '^(%S+) ')
for i = 2, #ARGV do
  if ARGV[i] == node then return 0 end
end
${RENEW_BODY}`;

// One page of a replay: entries from ARGV[2] to ARGV[3] (seqs), at most ARGV[4] of them and, past the
// first, ARGV[5] bytes. Nil when the stream is no longer in epoch ARGV[1] (it began again meanwhile).
const PAGE = `
if redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[1] then return nil end
local entries = redis.call('XRANGE', KEYS[2], ARGV[2] .. '-0', ARGV[3] .. '-0', 'COUNT', ARGV[4])
local page, bytes = {}, 0
for i, entry in ipairs(entries) do
  local size = 0
  for j = 2, #entry[2], 2 do size = size + #entry[2][j] end
  if i > 1 and bytes + size > tonumber(ARGV[5]) then break end
  bytes = bytes + size
  page[i] = entry
end
return page`;

export interface OutboxMessage {
  seq: number;
  event: ServerEventName;
  payload: Record<string, unknown>;
}

/** What a resume replayed: how many messages, and whether they were all it missed. */
export interface Replay {
  epoch: number;
  count: number;
  complete: boolean;
}

/** Delivers one page of a replay (in seq order) and resolves once it has left this node. */
export type SendPage = (messages: OutboxMessage[], epoch: number) => Promise<void>;

/** Sends a numbered message on its way (the peer's socket event, through the adapter). */
export type Forward = (seq: number, epoch: number) => void;

/** A sending socket's numbering of one stream: the seq it last used, and its last store in flight. */
interface Numbering {
  epoch: number;
  seq: number;
  /** Set while the claim is in flight: later messages wait for it, so seq order is send order. */
  claim: Promise<void> | null;
  /** What the stream holds in this epoch with every message numbered so far: all bytes, and SDP bytes. */
  bytes: number;
  sdpBytes: number;
  lastStore: Promise<unknown>;
  /** A store failed, or a claim was refused: the next message claims again, above this seq. */
  stale: boolean;
}

type OutboxRedis = Redis & {
  outboxBegin(stateKey: string, whole: 0 | 1, ttl: number): Promise<string>;
  outboxOpen(...args: [keyCount: number, ...stateKeys: string[], ttl: number]): Promise<number>;
  outboxClaim(
    stateKey: string,
    streamKey: string,
    event: string,
    payload: string,
    max: number,
    ttl: number,
    owner: string,
    epoch: string,
    floor: number,
    bytes: number,
    sdpBytes: number,
    maxBytes: number,
    maxSdpBytes: number,
  ): Promise<[number, string, number, number]>;
  outboxPage(
    stateKey: string,
    streamKey: string,
    epoch: number,
    from: number,
    to: number,
    count: number,
    bytes: number,
  ): Promise<[string, string[]][] | null>;
  outboxOrphaned(stateKey: string, streamKey: string, ttl: number, ...liveNodes: string[]): Promise<number>;
  outboxRenew(stateKey: string, streamKey: string, ttl: number): Promise<number>;
  outboxStore(
    stateKey: string,
    streamKey: string,
    seq: number,
    event: string,
    payload: string,
    max: number,
    ttl: number,
    owner: string,
    bytes: number,
    sdpBytes: number,
  ): Promise<number>;
};

/** One message's share of the byte caps: its event name and JSON payload, as the stream keeps them. */
interface Sized {
  body: string;
  bytes: number;
  sdpBytes: number;
}

/**
 * Every message relayed to a party in a call gets that party's next sequence number in the call
 * (gapless within an epoch, so a client can tell a missing message from one it sent itself) and
 * is kept in a Redis stream, so a party that was away replays exactly what it missed, whichever
 * node it comes back to. Socket.IO's own recovery is per socket, unsupported on the Redis pub/sub
 * adapter, and lost with a dead node; this is per call.
 *
 * Numbering is local to the sending socket after its first message (one Redis round trip claims
 * the stream), so a message is forwarded without waiting for Redis and stored in the same breath;
 * the sender's ack waits for the store. Only one socket may number a stream: a device that resumes
 * elsewhere first has every node `release` its older sockets (see CallSessions.supersede).
 */
@Injectable()
export class CallOutbox {
  private readonly redis: OutboxRedis;
  /** Per sending socket, per call, per recipient: how that socket numbers the stream. */
  private readonly numberings = new WeakMap<object, Map<string, Map<string, Numbering>>>();
  /** This process, in each stream's owner: a resume can tell whether the owner's node answered. */
  readonly node = randomUUID();

  constructor(
    @Inject(GATEWAY_REDIS) redis: Redis,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    redis.defineCommand('outboxBegin', { numberOfKeys: 1, lua: BEGIN });
    redis.defineCommand('outboxOpen', { lua: OPEN }); // key count given per call
    redis.defineCommand('outboxClaim', { numberOfKeys: 2, lua: CLAIM });
    redis.defineCommand('outboxStore', { numberOfKeys: 2, lua: STORE });
    redis.defineCommand('outboxOrphaned', { numberOfKeys: 2, lua: ORPHANED });
    redis.defineCommand('outboxRenew', { numberOfKeys: 2, lua: RENEW_BODY });
    redis.defineCommand('outboxPage', { numberOfKeys: 2, lua: PAGE });
    this.redis = redis as OutboxRedis;
  }

  /**
   * The call ended: its streams go in ENDED_CALL_OUTBOX_MS instead of hours (a long call's SDPs and
   * candidates would otherwise sit in Redis). LT only ever shortens the expiry, so every node that
   * delivers the end may send this, and a late store's refresh cannot undo it before it lapses.
   */
  async ended(callId: string, recipients: string[]): Promise<void> {
    const keys = recipients.flatMap((to) => [this.stateKey(callId, to), this.streamKey(callId, to)]);
    await Promise.all(keys.map((key) => this.redis.pexpire(key, Timeouts.ENDED_CALL_OUTBOX_MS, 'LT')));
  }

  /** The call was answered: both parties' stores begin now, whole, before any relay can exist. */
  async open(callId: string, recipients: string[]): Promise<void> {
    await this.redis.outboxOpen(recipients.length, ...recipients.map((to) => this.stateKey(callId, to)), RETENTION_MS);
  }

  /**
   * Numbers a message `sender` relays to `to`, forwards it, and resolves once it is stored. The first
   * message a socket relays in a call waits for its claim; later ones are forwarded at once, their
   * store sent in the same breath, in order behind the earlier ones. A message that would take the
   * stream past a byte cap is refused before it is numbered: neither forwarded nor stored.
   */
  async relay(
    sender: object,
    callId: string,
    to: string,
    event: ServerEventName,
    payload: Record<string, unknown>,
    forward: Forward,
  ): Promise<void> {
    const streams = this.streamsOf(sender, callId, true);
    let numbering = streams.get(to);
    // A refused claim leaves the stream to the next message's claim, which a later one must wait for too.
    while (numbering?.claim) {
      await numbering.claim;
      numbering = streams.get(to);
      // Superseded (or its claim failed) while this message waited: it must not claim the stream back.
      if (!numbering) throw new AppError(ErrorCode.NOT_A_PARTY, 'This device carries that call on another connection now.');
    }
    const sized = this.size(event, payload);
    if (!numbering || numbering.stale) return this.claim(streams, sender, callId, to, event, sized, forward, numbering);
    const over = this.overCap(numbering.bytes, numbering.sdpBytes, sized);
    if (over) throw over;
    numbering.bytes += sized.bytes;
    numbering.sdpBytes += sized.sdpBytes;
    const seq = ++numbering.seq;
    // The peer's copy leaves before the store is written: its socket write (or, cross node, the
    // adapter's PUBLISH) does not queue behind the store's script. Both leave in this synchronous
    // turn, so a fence that waits on lastStore still finds the store; and a forward that throws
    // still stores, so a replay delivers the seq instead of the peer waiting on a gap.
    let stored: Promise<void>;
    try {
      forward(seq, numbering.epoch);
    } finally {
      stored = this.store(sender, callId, to, seq, event, sized, numbering);
      numbering.lastStore = stored.catch(() => undefined);
    }
    return stored;
  }

  /** Waits until every claim and store `sender` has in flight for `callId` has settled. */
  async settled(sender: object, callId: string): Promise<void> {
    await Promise.all([...this.streamsOf(sender, callId).values()].map((n) => Promise.all([n.claim, n.lastStore])));
  }

  /**
   * `sender` was superseded: after its stores settled, a stream whose stores failed (so it may have
   * forwarded seqs that were never stored) begins a new epoch; then it numbers nothing more.
   */
  async retire(sender: object, callId: string): Promise<void> {
    // Seq 0: a claim that was refused and numbered nothing, so nothing went out unstored.
    const stale = [...this.streamsOf(sender, callId)].filter(([, n]) => n.stale && n.seq > 0).map(([to]) => to);
    await Promise.all(stale.map((to) => this.redis.outboxRenew(this.stateKey(callId, to), this.streamKey(callId, to), RETENTION_MS)));
    this.forget(sender, callId);
  }

  /** After a resume's fence: a stream last numbered on a node that did not answer begins a new epoch. */
  async takeOver(callId: string, to: string, answered: string[]): Promise<void> {
    await this.redis.outboxOrphaned(this.stateKey(callId, to), this.streamKey(callId, to), RETENTION_MS, this.node, ...answered);
  }

  /** `sender` no longer numbers `callId`'s streams (superseded, or the call ended). */
  forget(sender: object, callId: string): void {
    this.numberings.get(sender)?.delete(callId);
  }

  private streamsOf(sender: object, callId: string, create = false): Map<string, Numbering> {
    let calls = this.numberings.get(sender);
    if (!calls) {
      if (!create) return new Map();
      this.numberings.set(sender, (calls = new Map()));
    }
    let streams = calls.get(callId);
    if (!streams) {
      streams = new Map();
      if (create) calls.set(callId, streams);
    }
    return streams;
  }

  /**
   * Sends `to` what it missed after `lastSeq` of `epoch`, page by page: up to the seq stored when the
   * replay began (whatever is numbered later reaches the resuming socket live, as it is in the device's
   * room by then). Complete only when the store provably held all of it: same epoch, every seq there
   * (nothing trimmed) and no new epoch begun meanwhile, or, for a client that had received nothing, a
   * store opened when the call was answered (no relay can precede the answer).
   */
  async replay(callId: string, to: string, lastSeq: number, epoch: number | undefined, send: SendPage): Promise<Replay> {
    const stateKey = this.stateKey(callId, to);
    const current = Number(await this.redis.outboxBegin(stateKey, 0, RETENTION_MS));
    const sameStore = epoch === undefined || epoch === current;
    const after = sameStore ? lastSeq : 0;
    const [seq, whole] = await this.redis.hmget(stateKey, 'seq', 'whole');
    const last = Number(seq ?? 0);
    let count = 0;
    let intact = true;
    for (let from = after + 1; from <= last;) {
      const page = await this.redis.outboxPage(
        stateKey,
        this.streamKey(callId, to),
        current,
        from,
        last,
        REPLAY_PAGE_MESSAGES,
        REPLAY_PAGE_BYTES,
      );
      if (!page) intact = false; // the stream began a new epoch: what is left of this one is gone
      if (!page?.length) break;
      const messages = page.map(toMessage);
      await send(messages, current);
      count += messages.length;
      from = messages[messages.length - 1]!.seq + 1;
    }
    // Gapless within an epoch: every seq after `after` up to `last` was there exactly when the count matches.
    let complete = sameStore && intact && count === Math.max(0, last - after);
    if (complete && epoch === undefined && lastSeq === 0) complete = whole === '1';
    return { epoch: current, count, complete };
  }

  private async claim(
    streams: Map<string, Numbering>,
    sender: object,
    callId: string,
    to: string,
    event: ServerEventName,
    sized: Sized,
    forward: Forward,
    previous: Numbering | undefined,
  ): Promise<void> {
    let settle!: () => void;
    const numbering: Numbering = {
      epoch: 0,
      seq: 0,
      bytes: 0,
      sdpBytes: 0,
      claim: new Promise<void>((resolve) => (settle = resolve)),
      lastStore: Promise.resolve(),
      stale: false,
    };
    streams.set(to, numbering);
    let refusal: AppError | null = null;
    try {
      const [seq, epoch, bytes, sdpBytes] = await this.redis.outboxClaim(
        this.stateKey(callId, to),
        this.streamKey(callId, to),
        event,
        sized.body,
        MAX_MESSAGES,
        RETENTION_MS,
        this.owner(sender),
        String(previous?.epoch ?? ''),
        previous?.seq ?? 0,
        sized.bytes,
        sized.sdpBytes,
        this.config.RELAY_STORE_MAX_BYTES,
        this.config.RELAY_SDP_MAX_BYTES,
      );
      if (Number(seq) === 0) {
        // Over a cap, nothing numbered: the next message claims again, above the floor it had.
        refusal = this.overCap(Number(bytes), Number(sdpBytes), sized) ?? this.overCap(Infinity, 0, sized);
        Object.assign(numbering, { stale: true, epoch: previous?.epoch ?? 0, seq: previous?.seq ?? 0 });
      } else {
        numbering.seq = Number(seq);
        numbering.epoch = Number(epoch);
        numbering.bytes = Number(bytes);
        numbering.sdpBytes = Number(sdpBytes);
        forward(numbering.seq, numbering.epoch);
      }
    } catch (error) {
      if (streams.get(to) === numbering) streams.delete(to);
      throw error;
    } finally {
      numbering.claim = null;
      settle();
    }
    if (refusal) throw refusal;
  }

  private async store(
    sender: object,
    callId: string,
    to: string,
    seq: number,
    event: ServerEventName,
    sized: Sized,
    numbering: Numbering,
  ): Promise<void> {
    let outcome: number;
    try {
      outcome = await this.redis.outboxStore(
        this.stateKey(callId, to),
        this.streamKey(callId, to),
        seq,
        event,
        sized.body,
        MAX_MESSAGES,
        RETENTION_MS,
        this.owner(sender),
        sized.bytes,
        sized.sdpBytes,
      );
    } catch (error) {
      numbering.stale = true;
      throw error;
    }
    if (outcome === 1) return;
    // The message went out but is not kept. The next one claims again, above every seq sent.
    numbering.stale = true;
    if (outcome === 0) throw new AppError(ErrorCode.NOT_A_PARTY, 'This device carries that call on another connection now.');
    throw new AppError(ErrorCode.INTERNAL, 'The message was sent but could not be kept for replay: send it again.');
  }

  private size(event: ServerEventName, payload: Record<string, unknown>): Sized {
    const body = JSON.stringify(payload);
    const bytes = Buffer.byteLength(event) + Buffer.byteLength(body);
    return { body, bytes, sdpBytes: event === 'call:sdp' ? bytes : 0 };
  }

  /** The refusal of a message that would take a stream holding `bytes` (`sdpBytes` of SDPs) past a cap. */
  private overCap(bytes: number, sdpBytes: number, sized: Sized): AppError | null {
    const { RELAY_SDP_MAX_BYTES: sdpCap, RELAY_STORE_MAX_BYTES: cap } = this.config;
    if (sdpBytes + sized.sdpBytes > sdpCap)
      return new AppError(ErrorCode.RELAY_QUOTA_EXCEEDED, `The SDPs relayed to a party in one call may total ${sdpCap} bytes.`);
    if (bytes + sized.bytes > cap)
      return new AppError(ErrorCode.RELAY_QUOTA_EXCEEDED, `The messages relayed to a party in one call may total ${cap} bytes.`);
    return null;
  }

  private owner(sender: object): string {
    return `${this.node} ${(sender as { id: string }).id}`;
  }

  private stateKey(callId: string, to: string): string {
    return `${this.config.REDIS_PREFIX}call:{${callId}}:relay:${to}`;
  }

  private streamKey(callId: string, to: string): string {
    return `${this.config.REDIS_PREFIX}call:{${callId}}:outbox:${to}`;
  }
}

const toMessage = ([id, fields]: [string, string[]]): OutboxMessage => {
  const field = (name: string) => fields[fields.indexOf(name) + 1]!;
  return {
    seq: Number(id.split('-')[0]),
    event: field('event') as ServerEventName,
    payload: JSON.parse(field('payload')) as Record<string, unknown>,
  };
};
