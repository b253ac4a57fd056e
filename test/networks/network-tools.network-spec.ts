import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { type Socket as UdpSocket, createSocket } from 'node:dgram';
import { type AddressInfo, type Server, createServer } from 'node:net';
import { promisify } from 'node:util';
import { ImpairedUdpRelay, NetNamespace } from '#testing';

const run = promisify(execFile);

/** A UDP echo server on loopback: what coturn is to the relay. */
let echo: UdpSocket;
let relay: ImpairedUdpRelay | null = null;
beforeAll(async () => {
  echo = createSocket('udp4');
  echo.on('message', (data, from) => echo.send(data, from.port, from.address));
  await new Promise<void>((resolve) => echo.bind(0, '127.0.0.1', resolve));
});
afterEach(() => {
  relay?.close();
  relay = null;
});
afterAll(() => {
  echo.close();
});

const echoPort = () => (echo.address() as AddressInfo).port;

/** A client of the relay that records when each echo came back. */
async function client(): Promise<{ socket: UdpSocket; arrivals: number[]; send(count: number, size?: number): number }> {
  const socket = createSocket('udp4');
  const arrivals: number[] = [];
  socket.on('message', () => arrivals.push(performance.now()));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    socket,
    arrivals,
    send(count, size = 100) {
      for (let i = 0; i < count; i++) socket.send(Buffer.alloc(size, i % 256), relay!.port, '127.0.0.1');
      return performance.now();
    },
  };
}

/** Resolves once all `sent` datagrams went out and every echo the relay let through has arrived. */
async function settled(sent: number, c: { socket: UdpSocket; arrivals: number[] }): Promise<void> {
  await relay!.counted(({ out, back }) => out.forwarded + out.dropped === sent && back.forwarded + back.dropped === out.forwarded);
  while (c.arrivals.length < relay!.counters.back.forwarded) await new Promise((r) => c.socket.once('message', r));
}

describe('an impaired UDP path', () => {
  it('drops the share of datagrams it is told to, in each direction', async () => {
    relay = await ImpairedUdpRelay.start({ target: { host: '127.0.0.1', port: echoPort() } });
    relay.impair({ loss: 0.3 });
    const c = await client();
    // In rounds of 100: a larger burst could overflow a socket buffer, a loss that is not the relay's.
    for (let sent = 100; sent <= 1000; sent += 100) {
      c.send(100);
      await settled(sent, c);
    }
    c.socket.close();
    // Each datagram crosses twice: 0.7² = 49 % come back; the bounds are ±6 standard deviations.
    expect(c.arrivals.length).toBeGreaterThan(400);
    expect(c.arrivals.length).toBeLessThan(580);
  });

  it('adds its delay each way, and its rate spreads a burst out', async () => {
    relay = await ImpairedUdpRelay.start({ target: { host: '127.0.0.1', port: echoPort() } });
    relay.impair({ delayMs: 60 });
    const c = await client();
    const sentAt = c.send(1);
    await settled(1, c);
    expect(c.arrivals[0]! - sentAt).toBeGreaterThanOrEqual(119);

    relay.impair({ delayMs: 0, rateKbps: 1000 });
    // 40 datagrams of 1000 bytes at 1 Mbit/s take 320 ms to cross the link, once each way.
    const burstAt = c.send(40, 1000);
    await settled(41, c);
    c.socket.close();
    expect(c.arrivals).toHaveLength(41);
    expect(c.arrivals.at(-1)! - burstAt).toBeGreaterThanOrEqual(300);
  });

  it('lets nothing through in a blackout, and everything once healed', async () => {
    relay = await ImpairedUdpRelay.start({ target: { host: '127.0.0.1', port: echoPort() } });
    relay.impair({ blackout: true });
    const c = await client();
    c.send(20);
    await settled(20, c);
    expect(relay.counters.out).toEqual({ forwarded: 0, dropped: 20 });
    relay.heal();
    c.send(20);
    await settled(40, c);
    c.socket.close();
    expect(c.arrivals).toHaveLength(20);
  });

  it('impairs only the clients it is told to', async () => {
    relay = await ImpairedUdpRelay.start({ target: { host: '127.0.0.1', port: echoPort() }, impairs: () => false });
    relay.impair({ blackout: true });
    const c = await client();
    c.send(10);
    await settled(10, c);
    c.socket.close();
    expect(c.arrivals).toHaveLength(10);
  });
});

/** A TCP server on every address of the host that records each client's address and arrival time. */
async function listener(): Promise<{ server: Server; port: number; accepted: { address: string; at: number }[]; next(): Promise<void> }> {
  const accepted: { address: string; at: number }[] = [];
  let wake: () => void = () => undefined;
  const server = createServer((socket) => {
    accepted.push({ address: socket.remoteAddress!.replace(/^::ffff:/, ''), at: Date.now() });
    socket.end();
    wake();
  });
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  const next = () => new Promise<void>((resolve) => (wake = resolve));
  return { server, port: (server.address() as AddressInfo).port, accepted, next };
}

/** Connects from inside the namespace, in a child process, and resolves when that connect is done. */
const connectFrom = (ns: NetNamespace, port: number) =>
  run('ip', [
    'netns',
    'exec',
    ns.name,
    process.execPath,
    '-e',
    `require('net').connect(${port}, '${ns.hostAddress}').on('connect', function () { this.end(); })`,
  ]);

describe('a network namespace for one party', () => {
  let ns: NetNamespace;
  beforeAll(async () => {
    ns = await NetNamespace.create();
  });
  afterAll(async () => ns?.destroy());

  it('reaches the host, goes dark when cut, comes back, and moves to a new address', async () => {
    const l = await listener();
    try {
      await connectFrom(ns, l.port);
      expect(l.accepted.map((a) => a.address)).toEqual([ns.address]);

      // A connect made during the cut arrives only after the link is restored (its SYN is retried).
      await ns.cut();
      const arrived = l.next();
      const during = connectFrom(ns, l.port);
      await new Promise((r) => setTimeout(r, 1500)); // the cut's length: the SYN and its first retry are lost
      const restoredAt = Date.now();
      await ns.restore();
      await Promise.all([arrived, during]);
      expect(l.accepted[1]!.at).toBeGreaterThanOrEqual(restoredAt);

      const before = ns.address;
      const after = await ns.moveTo();
      expect(after).not.toBe(before);
      await connectFrom(ns, l.port);
      expect(l.accepted[2]!.address).toBe(after);
    } finally {
      l.server.close();
    }
  });
});
