import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Queue from 'bull';
import pg from 'pg';
import type { CallDetailView } from '#contracts';
import { ApnsSandbox } from '../../../apps/apns-sandbox/src/index.js';
import { bullPrefix } from '../../infra/src/bull-prefix.js';
import { AppProcess, runMigrations } from './app-process.js';
import { pollUntil } from './poll-until.js';
import { TestDevice, mintToken } from './signaling-client.js';
import { TEST_REDIS_URL, createTestDatabase, deleteRedisKeys, testRedisPrefix } from './test-database.js';

export interface PlatformOptions {
  gateways?: number;
  ringTimeoutMs?: number;
  notifier?: boolean;
  /** The APNs sandbox's per-connection stream limit (HTTP/2 SETTINGS), as APNs sets its own. */
  apnsMaxConcurrentStreams?: number;
  env?: Record<string, string>;
  /** A Redis of the suite's own (a PrivateRedis), for suites that kill it; the shared one otherwise. */
  redisUrl?: string;
  /**
   * A Postgres server of the suite's own (a PrivatePostgres `url()`), for suites that kill it. The
   * suite's database is created and migrated there and dropped at stop; the shared server otherwise.
   */
  postgresUrl?: string;
  /** A Redis Cluster's seed URLs (a PrivateRedisCluster's `urls`); every app then runs on the cluster. */
  redisClusterNodes?: string[];
  /** Calls app instances sharing the database; gateway node i talks to instance i mod n. */
  callsInstances?: number;
}

/**
 * The whole platform for an end-to-end suite: its own database and Redis prefix, migrations, the
 * calls app, N gateway nodes and the notifier, each a separate process on its own port.
 */
export class Platform {
  readonly jwtSecret = randomBytes(32).toString('hex');
  readonly adminToken = randomBytes(16).toString('hex');
  readonly resumeSecret = randomBytes(32).toString('hex');
  gateways: AppProcess[] = [];
  /** Every calls instance; `calls` is the first. */
  callsNodes: AppProcess[] = [];
  notifier: AppProcess | null = null;
  /** The APNs sandbox the notifier sends to (in this test process, so tests can script and inspect it). */
  apns: ApnsSandbox | null = null;
  private notifierEnv: Record<string, string> = {};
  private readonly scratch = mkdtempSync(join(tmpdir(), 'vc-test-'));
  db!: pg.Pool;
  private dropDatabase!: () => Promise<void>;
  private devices: TestDevice[] = [];

  private callsEnv!: Record<string, string>;

  private constructor(
    readonly databaseUrl: string,
    readonly redisPrefix: string,
    readonly redisUrl: string,
    private readonly options: PlatformOptions,
  ) {}

  static async start(options: PlatformOptions = {}): Promise<Platform> {
    const database = await createTestDatabase(options.postgresUrl);
    const platform = new Platform(database.url, testRedisPrefix(), options.redisUrl ?? TEST_REDIS_URL, options);
    platform.dropDatabase = database.drop;
    try {
      await platform.boot(options);
    } catch (error) {
      // Half a platform is still processes, a database and keys: leave nothing behind, then say why.
      await platform.stop().catch((cleanup: unknown) => console.warn('Platform.start: cleanup after a failed start failed too', cleanup));
      throw error;
    }
    return platform;
  }

  private async boot(options: PlatformOptions): Promise<void> {
    await runMigrations(this.databaseUrl);
    this.db = new pg.Pool({ connectionString: this.databaseUrl, max: 2 });
    // An idle client dies with its server when a suite kills Postgres; the pool reconnects on the next
    // query, and an unheard 'error' would crash the test process instead.
    this.db.on('error', () => undefined);
    const shared = this.sharedEnv(options);
    this.callsEnv = {
      ...shared,
      DATABASE_URL: this.databaseUrl,
      ADMIN_API_TOKEN: this.adminToken,
      AUTH_JWT_SECRET: this.jwtSecret,
      RING_TIMEOUT_MS: String(options.ringTimeoutMs ?? 45_000),
    };
    // One after another: each boot gets the health timeout to itself on a loaded machine.
    for (let i = 0; i < (options.callsInstances ?? 1); i += 1) this.callsNodes.push(await AppProcess.start('calls', this.callsEnv));
    // allSettled, not all: gateways that did start must be known to stop() when another one failed.
    const gateways = await Promise.allSettled(
      Array.from({ length: options.gateways ?? 1 }, (_, i) => AppProcess.start('gateway', this.gatewayEnv(shared, i))),
    );
    this.gateways = gateways.flatMap((g) => (g.status === 'fulfilled' ? [g.value] : []));
    const failed = gateways.find((g) => g.status === 'rejected');
    if (failed) throw failed.reason;
    if (options.notifier ?? true) {
      this.notifierEnv = { ...shared, ...(await this.startApnsSandbox()) };
      this.notifier = await AppProcess.start('notifier', this.notifierEnv);
    }
  }

  get gateway(): AppProcess {
    return this.gateways[0]!;
  }

  get calls(): AppProcess {
    return this.callsNodes[0]!;
  }

  /** The env of gateway node `index` (which calls instance it talks to depends on it). */
  gatewayEnv(shared: Record<string, string>, index = 0): Record<string, string> {
    return {
      ...shared,
      CALLS_URL: this.callsNodes[index % this.callsNodes.length]!.url,
      AUTH_JWT_SECRET: this.jwtSecret,
      RESUME_TOKEN_SECRET: this.resumeSecret,
      STUN_URLS: 'stun:127.0.0.1:3478',
    };
  }

  sharedEnv(options: PlatformOptions = {}): Record<string, string> {
    return {
      REDIS_URL: options.redisUrl ?? this.redisUrl,
      ...(options.redisClusterNodes ? { REDIS_CLUSTER_NODES: options.redisClusterNodes.join(',') } : {}),
      REDIS_PREFIX: this.redisPrefix,
      INTERNAL_API_TOKEN: 'internal-test-token-0123456789',
      ...options.env,
    };
  }

  /** One more gateway node, e.g. to kill or drain without disturbing the others, or to inspect (`env`). */
  async addGateway(env: Record<string, string> = {}): Promise<AppProcess> {
    const gateway = await AppProcess.start('gateway', { ...this.gatewayEnv(this.sharedEnv(this.options), this.gateways.length), ...env });
    this.gateways.push(gateway);
    return gateway;
  }

  /** Takes gateway `index` down (SIGKILL: a crash; SIGTERM: a drain) and resolves once it has exited. */
  async killGateway(index: number, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    await this.gatewayAt(index).stop(signal);
  }

  /**
   * A new gateway process at `index`, on the same port and with the same env, so clients that kept
   * its URL reconnect to it. One still running is stopped first (SIGTERM).
   */
  async restartGateway(index: number): Promise<AppProcess> {
    const old = this.gatewayAt(index);
    await old.stop();
    const gateway = await AppProcess.start('gateway', this.gatewayEnv(this.sharedEnv(this.options), index), { port: old.port });
    this.gateways[index] = gateway;
    return gateway;
  }

  private gatewayAt(index: number): AppProcess {
    const gateway = this.gateways[index];
    if (!gateway) throw new Error(`no gateway at index ${index} (there are ${this.gateways.length})`);
    return gateway;
  }

  /** The same device coming back on a new socket (any node), remembering what it had seen. */
  async reconnect(device: TestDevice, gateway: AppProcess = this.gateway): Promise<TestDevice> {
    const again = await this.device(device.userId, { deviceId: device.deviceId, gateway });
    again.continueFrom(device);
    return again;
  }

  /** `expiresIn`: a jose time span ('3s', '-10s' for one already expired); an hour if unsaid. */
  token(userId: string, name?: string, expiresIn?: string): Promise<string> {
    return mintToken(this.jwtSecret, userId, { name, expiresIn });
  }

  async device(
    userId: string,
    options: { deviceId?: string; gateway?: AppProcess; name?: string; appState?: 'foreground' | 'background'; expiresIn?: string } = {},
  ): Promise<TestDevice> {
    const token = await this.token(userId, options.name, options.expiresIn);
    const device = await TestDevice.connect((options.gateway ?? this.gateway).url, token, userId, options.deviceId, options.appState);
    this.devices.push(device);
    return device;
  }

  /** Polls the admin API until the call's timeline satisfies `done` (queued writes land a bit later). */
  async timeline(
    callId: string,
    done: (types: string[], entries: CallDetailView['timeline']) => boolean,
    timeoutMs = 10_000,
  ): Promise<CallDetailView> {
    // A long call's timeline fits one page of 1000 (its quality samples are not on it).
    return pollUntil(
      async () => (await this.admin<CallDetailView>(`/calls/${callId}?limit=1000`)).body,
      (body) =>
        done(
          body.timeline.map((t) => t.type),
          body.timeline,
        ),
      `the timeline of ${callId} getting there`,
      timeoutMs,
    );
  }

  /** One of the platform's Bull queues, as its apps see it (single Redis); close it when done. */
  queue<T>(name: string): Queue.Queue<T> {
    return new Queue<T>(name, this.redisUrl, { prefix: bullPrefix(this.redisPrefix, false) });
  }

  admin<T>(path: string): Promise<{ status: number; body: T }> {
    return fetch(`${this.calls.url}${path}`, { headers: { authorization: `Bearer ${this.adminToken}` } }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as T,
    }));
  }

  private async startApnsSandbox(): Promise<Record<string, string>> {
    const keyId = 'TESTKEY001';
    const teamId = 'TESTTEAM01';
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyFile = join(this.scratch, 'apns-key.p8');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    // Like Apple, the sandbox only accepts topics of the app's bundle id (com.example.calls in tests).
    this.apns = await ApnsSandbox.start({
      keyId,
      teamId,
      publicKey: privateKey,
      bundleIds: ['com.example.calls'],
      maxConcurrentStreams: this.options.apnsMaxConcurrentStreams,
    });
    const caFile = join(this.scratch, 'apns-ca.pem');
    writeFileSync(caFile, this.apns.ca);
    return { APNS_KEY_ID: keyId, APNS_TEAM_ID: teamId, APNS_KEY_FILE: keyFile, APNS_ENDPOINT: this.apns.url, APNS_CA_FILE: caFile };
  }

  async killNotifier(): Promise<void> {
    await this.notifier?.stop('SIGKILL');
  }

  async restartNotifier(): Promise<void> {
    this.notifier = await AppProcess.start('notifier', this.notifierEnv, { port: this.notifier?.port });
  }

  /** Registers a device's push tokens through the REST API, as the iOS app does at launch. */
  async registerDevice(userId: string, deviceId: string, body: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${this.calls.url}/devices/${deviceId}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${await this.token(userId)}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  }

  /** An iPhone of the sandbox environment with a VoIP token only (an app suspended, to be woken by a push). */
  registerVoipDevice(userId: string, deviceId: string, voipToken: string): Promise<{ status: number; body: unknown }> {
    return this.registerDevice(userId, deviceId, {
      platform: 'ios',
      voipToken,
      apnsToken: null,
      apnsEnvironment: 'sandbox',
      bundleId: 'com.example.calls',
      appVersion: '1.4.0',
    });
  }

  /** Kills the calls app (SIGKILL: no goodbye) and, when asked, starts it again on the same port. */
  async killCalls(): Promise<void> {
    await this.calls.stop('SIGKILL');
  }

  async restartCalls(): Promise<void> {
    this.callsNodes[0] = await AppProcess.start('calls', this.callsEnv, { port: this.calls.port });
  }

  /**
   * Every step runs even when an earlier one fails (a fault suite may end with Redis or Postgres
   * down, or stop a platform that never finished starting); the failures are thrown together at the end.
   */
  async stop(): Promise<void> {
    const failures: unknown[] = [];
    const step = async (run: () => unknown) => {
      try {
        await run();
      } catch (error) {
        failures.push(error);
      }
    };
    await step(() => this.devices.forEach((d) => d.close()));
    const apps = [...this.gateways, ...this.callsNodes, this.notifier].filter((a): a is AppProcess => a != null);
    await Promise.all(apps.map((a) => step(() => a.stop())));
    await step(() => this.db?.end());
    await step(() => this.dropDatabase?.());
    await step(() => deleteRedisKeys(this.redisPrefix, this.options.redisClusterNodes ?? this.redisUrl));
    await step(() => this.apns?.close());
    rmSync(this.scratch, { recursive: true, force: true });
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, 'Platform.stop: several steps failed');
  }
}
