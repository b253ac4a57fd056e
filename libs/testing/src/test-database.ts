import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';

/** Where tests find Postgres and Redis; the machine's defaults unless the run says otherwise. */
export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const uniqueSuffix = () => `${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;

/**
 * Each suite gets its own database, so parallel runs never see each other's calls. `serverUrl` names
 * the server to create it on (any database there to connect to), e.g. a suite's PrivatePostgres.
 */
export async function createTestDatabase(serverUrl: string = TEST_POSTGRES_URL): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `vc_test_${uniqueSuffix()}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Each suite gets its own Redis key prefix (Bull queues, pub/sub channels, socket.io adapter). */
export const testRedisPrefix = () => `vc_test_${uniqueSuffix()}:`;

/**
 * Leaves Redis as the suite found it. A Redis that cannot be reached fails this after a few tries
 * instead of hanging the teardown: a fault suite may end with its Redis down. `redis` is a URL, or
 * a cluster's seed URLs: there SCAN sees one master's keys only, so every master is scanned, and
 * keys are deleted one by one (a multi-key UNLINK must stay within a slot).
 */
export async function deleteRedisKeys(prefix: string, redis: string | string[] = TEST_REDIS_URL): Promise<void> {
  const options = { maxRetriesPerRequest: 1, retryStrategy: (times: number) => (times > 3 ? null : 100) };
  const client =
    typeof redis === 'string'
      ? new Redis(redis, options)
      : new Cluster(
          redis.map((u) => ({ host: new URL(u).hostname, port: Number(new URL(u).port) })),
          { redisOptions: options, clusterRetryStrategy: options.retryStrategy },
        );
  client.on('error', () => undefined);
  try {
    await client.ping();
    for (const node of client instanceof Cluster ? client.nodes('master') : [client])
      for await (const keys of node.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>)
        if (keys.length) await node.pipeline(keys.map((k) => ['unlink', k])).exec();
  } finally {
    client.disconnect();
  }
}
