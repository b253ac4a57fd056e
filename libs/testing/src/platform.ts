import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { CallDetailView } from '#contracts';
import { ApnsSandbox } from '../../../apps/apns-sandbox/src/index.js';
import { AppProcess, runMigrations } from './app-process.js';
import { TestDevice, mintToken } from './signaling-client.js';
import { TEST_REDIS_URL, createTestDatabase, deleteRedisKeys, testRedisPrefix } from './test-database.js';

export interface PlatformOptions {
  gateways?: number;
  ringTimeoutMs?: number;
  notifier?: boolean;
  env?: Record<string, string>;
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
  calls!: AppProcess;
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
    private readonly options: PlatformOptions,
  ) {}

  static async start(options: PlatformOptions = {}): Promise<Platform> {
    const database = await createTestDatabase();
    const platform = new Platform(database.url, testRedisPrefix(), options);
    platform.dropDatabase = database.drop;
    await runMigrations(database.url);
    platform.db = new pg.Pool({ connectionString: database.url, max: 2 });
    const shared = platform.sharedEnv(options);
    platform.callsEnv = {
      ...shared,
      DATABASE_URL: database.url,
      ADMIN_API_TOKEN: platform.adminToken,
      AUTH_JWT_SECRET: platform.jwtSecret,
      RING_TIMEOUT_MS: String(options.ringTimeoutMs ?? 45_000),
    };
    platform.calls = await AppProcess.start('calls', platform.callsEnv);
    platform.gateways = await Promise.all(
      Array.from({ length: options.gateways ?? 1 }, () => AppProcess.start('gateway', platform.gatewayEnv(shared))),
    );
    if (options.notifier ?? true) {
      platform.notifierEnv = { ...shared, ...(await platform.startApnsSandbox()) };
      platform.notifier = await AppProcess.start('notifier', platform.notifierEnv);
    }
    return platform;
  }

  get gateway(): AppProcess {
    return this.gateways[0]!;
  }

  gatewayEnv(shared: Record<string, string>): Record<string, string> {
    return {
      ...shared,
      CALLS_URL: this.calls.url,
      AUTH_JWT_SECRET: this.jwtSecret,
      RESUME_TOKEN_SECRET: this.resumeSecret,
      STUN_URLS: 'stun:127.0.0.1:3478',
    };
  }

  sharedEnv(options: PlatformOptions = {}): Record<string, string> {
    return {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: this.redisPrefix,
      INTERNAL_API_TOKEN: 'internal-test-token-0123456789',
      ...options.env,
    };
  }

  /** One more gateway node, e.g. to kill or drain without disturbing the others. */
  async addGateway(): Promise<AppProcess> {
    const gateway = await AppProcess.start('gateway', this.gatewayEnv(this.sharedEnv(this.options)));
    this.gateways.push(gateway);
    return gateway;
  }

  /** The same device coming back on a new socket (any node), remembering what it had seen. */
  async reconnect(device: TestDevice, gateway: AppProcess = this.gateway): Promise<TestDevice> {
    const again = await this.device(device.userId, { deviceId: device.deviceId, gateway });
    again.continueFrom(device);
    return again;
  }

  token(userId: string, name?: string): Promise<string> {
    return mintToken(this.jwtSecret, userId, { name });
  }

  async device(
    userId: string,
    options: { deviceId?: string; gateway?: AppProcess; name?: string; appState?: 'foreground' | 'background' } = {},
  ): Promise<TestDevice> {
    const token = await this.token(userId, options.name);
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
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { body } = await this.admin<CallDetailView>(`/calls/${callId}`);
      if (
        done(
          body.timeline.map((t) => t.type),
          body.timeline,
        )
      )
        return body;
      if (Date.now() > deadline)
        throw new Error(`timeline of ${callId} never got there: ${JSON.stringify(body.timeline.map((t) => [t.type, t.data]))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
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
    this.apns = await ApnsSandbox.start({ keyId, teamId, publicKey: privateKey, bundleIds: ['com.example.calls'] });
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

  /** Kills the calls app (SIGKILL: no goodbye) and, when asked, starts it again on the same port. */
  async killCalls(): Promise<void> {
    await this.calls.stop('SIGKILL');
  }

  async restartCalls(): Promise<void> {
    this.calls = await AppProcess.start('calls', this.callsEnv, { port: this.calls.port });
  }

  async stop(): Promise<void> {
    this.devices.forEach((d) => d.close());
    await Promise.all([...this.gateways, this.calls, this.notifier].filter((a): a is AppProcess => a !== null).map((a) => a.stop()));
    await this.db?.end();
    await this.dropDatabase?.();
    await deleteRedisKeys(this.redisPrefix);
    await this.apns?.close();
    rmSync(this.scratch, { recursive: true, force: true });
  }
}
