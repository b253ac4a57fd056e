import { type RemoteInfo, type Socket, createSocket } from 'node:dgram';

/** What the path does to each datagram, in each direction. */
export interface Impairment {
  /** Share of datagrams dropped, 0–1, drawn independently for each one. */
  loss: number;
  /** One-way delay added to every datagram; the round trip grows by twice this. */
  delayMs: number;
  /** Each datagram's delay varies by up to ± this much, without reordering (as a cellular link queues). */
  jitterMs: number;
  /** Link rate in kbit/s, shared by all datagrams in one direction; 0 means unlimited. */
  rateKbps: number;
  /** Every datagram vanishes, both ways, and nothing tells either end: a tunnel. */
  blackout: boolean;
}

export const CLEAN_PATH: Impairment = { loss: 0, delayMs: 0, jitterMs: 0, rateKbps: 0, blackout: false };

/** A rate-limited link drops what would wait longer than this in its queue, as a router's buffer does. */
const MAX_QUEUE_MS = 400;

export interface ImpairedUdpRelayOptions {
  target: { host: string; port: number };
  /** The address to listen on; 0.0.0.0 lets both a network namespace and the host reach one relay. */
  listenHost?: string;
  /** Only clients for which this is true are impaired (e.g. one party's namespace); default all. */
  impairs?: (clientAddress: string) => boolean;
}

/** What happened to the datagrams of one direction, for asserting that the impairment really happened. */
export interface LaneCounters {
  forwarded: number;
  dropped: number;
}

/** `out`: client to target (browser to coturn); `back`: target to client. */
export interface RelayCounters {
  out: LaneCounters;
  back: LaneCounters;
}

/** One direction of one client's flow: a FIFO released by a single timer, so order is kept. */
class Lane {
  private readonly queue: { at: number; data: Buffer }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private lastAt = 0;
  private linkFreeAt = 0;

  constructor(
    private readonly deliver: (data: Buffer) => void,
    private readonly counters: LaneCounters,
    private readonly counted: () => void,
  ) {}

  push(data: Buffer, path: Impairment): void {
    this.decide(data, path);
    this.counted();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.queue.length = 0;
  }

  private decide(data: Buffer, path: Impairment): void {
    const counters = this.counters;
    if (path.blackout || (path.loss > 0 && Math.random() < path.loss)) {
      counters.dropped += 1;
      return;
    }
    const now = performance.now();
    let at = now + path.delayMs + (path.jitterMs > 0 ? (Math.random() * 2 - 1) * path.jitterMs : 0);
    if (path.rateKbps > 0) {
      const start = Math.max(now, this.linkFreeAt);
      if (start - now > MAX_QUEUE_MS) {
        counters.dropped += 1;
        return;
      }
      this.linkFreeAt = start + (data.length * 8) / path.rateKbps;
      at = Math.max(at, this.linkFreeAt + path.delayMs);
    }
    at = Math.max(at, this.lastAt);
    this.lastAt = at;
    counters.forwarded += 1;
    if (at <= now && this.queue.length === 0) return this.deliver(data);
    this.queue.push({ at, data });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.queue.length === 0) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        const now = performance.now();
        while (this.queue.length > 0 && this.queue[0]!.at <= now + 1) this.deliver(this.queue.shift()!.data);
        this.schedule();
      },
      Math.max(0, this.queue[0]!.at - performance.now()),
    );
  }
}

/** A client of the relay: its own socket towards the target, so the target sees one 5-tuple per client. */
interface Flow {
  upstream: Socket;
  out: Lane;
  back: Lane;
  impaired: boolean;
}

/**
 * A UDP relay in front of a UDP server (coturn), that loses, delays, jitters and rate-limits the
 * datagrams of the clients it impairs. The kernel here has no netem, so a bad network is made in
 * userspace: a browser whose ICE is relay-only sends every media packet through its TURN server,
 * so a relay in front of coturn carries the whole call.
 */
export class ImpairedUdpRelay {
  readonly counters: RelayCounters = { out: { forwarded: 0, dropped: 0 }, back: { forwarded: 0, dropped: 0 } };
  private readonly flows = new Map<string, Flow>();
  private readonly waiters = new Set<() => boolean>();
  private path: Impairment = CLEAN_PATH;

  private constructor(
    private readonly socket: Socket,
    readonly port: number,
    private readonly options: ImpairedUdpRelayOptions,
  ) {
    socket.on('message', (data, from) => this.fromClient(data, from));
  }

  static async start(options: ImpairedUdpRelayOptions): Promise<ImpairedUdpRelay> {
    const socket = createSocket('udp4');
    const port = await new Promise<number>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, options.listenHost ?? '127.0.0.1', () => resolve(socket.address().port));
    });
    return new ImpairedUdpRelay(socket, port, options);
  }

  get impairment(): Impairment {
    return this.path;
  }

  /** Changes the path from the next datagram on; what is already queued keeps its delivery time. */
  impair(change: Partial<Impairment>): void {
    this.path = { ...this.path, ...change };
  }

  /** Back to a clean path. */
  heal(): void {
    this.path = CLEAN_PATH;
  }

  /** Resolves once the counters satisfy `done`, checked after every datagram: no polling. */
  counted(done: (counters: RelayCounters) => boolean): Promise<void> {
    if (done(this.counters)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = () => {
        if (!done(this.counters)) return false;
        resolve();
        return true;
      };
      this.waiters.add(waiter);
    });
  }

  close(): void {
    for (const flow of this.flows.values()) {
      flow.out.close();
      flow.back.close();
      flow.upstream.close();
    }
    this.flows.clear();
    this.socket.close();
  }

  private fromClient(data: Buffer, from: RemoteInfo): void {
    const flow = this.flowFor(from);
    flow.out.push(data, flow.impaired ? this.path : CLEAN_PATH);
  }

  private check(): void {
    for (const waiter of this.waiters) if (waiter()) this.waiters.delete(waiter);
  }

  private flowFor(from: RemoteInfo): Flow {
    const key = `${from.address}:${from.port}`;
    const known = this.flows.get(key);
    if (known) return known;
    const upstream = createSocket('udp4');
    const { host, port } = this.options.target;
    upstream.bind(0, '127.0.0.1');
    const flow: Flow = {
      upstream,
      out: new Lane(
        (data) => upstream.send(data, port, host),
        this.counters.out,
        () => this.check(),
      ),
      back: new Lane(
        (data) => this.socket.send(data, from.port, from.address),
        this.counters.back,
        () => this.check(),
      ),
      impaired: this.options.impairs?.(from.address) ?? true,
    };
    // A client that vanished (its namespace was deleted) is not the relay's error to raise.
    upstream.on('error', () => undefined);
    upstream.on('message', (data) => flow.back.push(data, flow.impaired ? this.path : CLEAN_PATH));
    this.flows.set(key, flow);
    return flow;
  }
}
