import { randomBytes } from 'node:crypto';
import pg from 'pg';
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
  gateways: AppProcess[] = [];
  calls!: AppProcess;
  notifier: AppProcess | null = null;
  db!: pg.Pool;
  private dropDatabase!: () => Promise<void>;
  private devices: TestDevice[] = [];

  private callsEnv!: Record<string, string>;

  private constructor(
    readonly databaseUrl: string,
    readonly redisPrefix: string,
  ) {}

  static async start(options: PlatformOptions = {}): Promise<Platform> {
    const database = await createTestDatabase();
    const platform = new Platform(database.url, testRedisPrefix());
    platform.dropDatabase = database.drop;
    await runMigrations(database.url);
    platform.db = new pg.Pool({ connectionString: database.url, max: 2 });
    const shared = platform.sharedEnv(options);
    platform.callsEnv = {
      ...shared,
      DATABASE_URL: database.url,
      ADMIN_API_TOKEN: platform.adminToken,
      RING_TIMEOUT_MS: String(options.ringTimeoutMs ?? 45_000),
    };
    platform.calls = await AppProcess.start('calls', platform.callsEnv);
    platform.gateways = await Promise.all(
      Array.from({ length: options.gateways ?? 1 }, () => AppProcess.start('gateway', platform.gatewayEnv(shared))),
    );
    if (options.notifier ?? true) platform.notifier = await AppProcess.start('notifier', shared);
    return platform;
  }

  get gateway(): AppProcess {
    return this.gateways[0]!;
  }

  gatewayEnv(shared: Record<string, string>): Record<string, string> {
    return { ...shared, CALLS_URL: this.calls.url, AUTH_JWT_SECRET: this.jwtSecret };
  }

  sharedEnv(options: PlatformOptions = {}): Record<string, string> {
    return {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: this.redisPrefix,
      INTERNAL_API_TOKEN: 'internal-test-token-0123456789',
      ...options.env,
    };
  }

  token(userId: string, name?: string): Promise<string> {
    return mintToken(this.jwtSecret, userId, { name });
  }

  async device(userId: string, options: { deviceId?: string; gateway?: AppProcess; name?: string } = {}): Promise<TestDevice> {
    const device = await TestDevice.connect((options.gateway ?? this.gateway).url, await this.token(userId, options.name), userId, options.deviceId);
    this.devices.push(device);
    return device;
  }

  admin<T>(path: string): Promise<{ status: number; body: T }> {
    return fetch(`${this.calls.url}${path}`, { headers: { authorization: `Bearer ${this.adminToken}` } }).then(async (r) => ({ status: r.status, body: (await r.json()) as T }));
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
    await Promise.all([...this.gateways, this.calls, this.notifier].filter((a): a is AppProcess => a !== null).map((a) => a?.stop()));
    await this.db?.end();
    await this.dropDatabase?.();
    await deleteRedisKeys(this.redisPrefix);
  }
}
