import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { type Server, type Socket, connect, createServer } from 'node:net';
import pg from 'pg';
import { BlackholeProxy, PrivatePostgres, PrivateRedis } from '#testing';

/** What one end of a TCP connection has seen so far. */
interface Seen {
  socket: Socket;
  data: string;
  ended: boolean;
  closed: boolean;
}

function watch(socket: Socket): Seen {
  const seen: Seen = { socket, data: '', ended: false, closed: false };
  socket.on('data', (chunk: Buffer) => (seen.data += chunk.toString()));
  socket.on('end', () => (seen.ended = true));
  socket.on('close', () => (seen.closed = true));
  socket.on('error', () => undefined);
  return seen;
}

async function until(done: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function dial(port: number): Promise<Seen> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return watch(socket);
}

function redisClient(url: string): Redis {
  // No reconnecting: a dead server must fail the command, not hold it for later.
  const redis = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  return redis;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('fault-injection tools', () => {
  describe('PrivateRedis', () => {
    let redis: PrivateRedis;
    beforeAll(async () => {
      redis = await PrivateRedis.start();
    });
    afterAll(() => redis?.stop());

    it('comes back empty on the same port after a kill', async () => {
      const before = redisClient(redis.url);
      await before.set('fault-tools:key', 'value');
      expect(await before.get('fault-tools:key')).toBe('value');
      before.disconnect();
      const port = redis.port;

      await redis.kill();
      const down = redisClient(redis.url);
      await expect(down.ping()).rejects.toThrow();
      down.disconnect();

      await redis.restart();
      expect(redis.port).toBe(port);
      expect(redis.url).toBe(`redis://127.0.0.1:${port}`);
      const after = redisClient(redis.url);
      expect(await after.ping()).toBe('PONG');
      expect(await after.get('fault-tools:key')).toBeNull();
      after.disconnect();
    });
  });

  describe('PrivatePostgres', () => {
    let postgres: PrivatePostgres;
    beforeAll(async () => {
      postgres = await PrivatePostgres.start();
    });
    afterAll(() => postgres?.stop());

    it('keeps committed rows across a kill and refuses connections while down', async () => {
      await postgres.createDatabase('fault_tools');
      const url = postgres.url('fault_tools');
      expect(url).toBe(`postgres://postgres@127.0.0.1:${postgres.port}/fault_tools`);
      await query(url, 'CREATE TABLE marks (n int NOT NULL)');
      await query(url, 'INSERT INTO marks SELECT generate_series(1, 100)');

      await postgres.kill();
      await expect(query(url, 'SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });

      await postgres.start();
      expect(await query<{ count: string }>(url, 'SELECT count(*) FROM marks')).toEqual([{ count: '100' }]);

      await postgres.restart();
      expect(await query<{ sum: string }>(url, 'SELECT sum(n) FROM marks')).toEqual([{ sum: '5050' }]);
    });
  });

  describe('BlackholeProxy', () => {
    let echo: Server;
    const accepted: Seen[] = [];
    let proxy: BlackholeProxy;
    beforeAll(async () => {
      echo = createServer((socket) => {
        accepted.push(watch(socket));
        socket.on('data', (chunk: Buffer) => socket.write(chunk));
      });
      await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
      proxy = await BlackholeProxy.start((echo.address() as { port: number }).port);
    });
    afterAll(async () => {
      await proxy?.close();
      accepted.forEach((s) => s.socket.destroy());
      await new Promise((resolve) => echo.close(resolve));
    });

    it('forwards bytes, then silences open connections without closing them; new ones still work', async () => {
      expect(proxy.url('/health')).toBe(`http://127.0.0.1:${proxy.port}/health`);
      const phone = await dial(proxy.port);
      phone.socket.write('hello');
      await until(() => phone.data === 'hello', 'the echo through the proxy');
      const server = accepted[0]!;

      proxy.blackhole();
      phone.socket.write('lost');
      server.socket.write('unheard');

      // The positive signal after the absence: a connection made later carries an echo both ways
      // through the same proxy and server, after "lost" and "unheard" were written.
      const next = await dial(proxy.port);
      next.socket.write('again');
      await until(() => next.data === 'again', 'the echo on a connection made after blackhole()');
      expect(phone).toMatchObject({ data: 'hello', ended: false, closed: false });
      expect(server).toMatchObject({ data: 'hello', ended: false, closed: false });
      expect(phone.socket.destroyed).toBe(false);

      phone.socket.destroy();
      next.socket.destroy();
    });
  });
});
