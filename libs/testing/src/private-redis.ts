import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './app-process.js';
import { printed } from './process-output.js';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 10_000;
const BIND_ATTEMPTS = 10;
const BIND_RETRY_MS = 100;

/**
 * A redis-server of the suite's own, on a free loopback port, so a fault test can kill and restart
 * Redis without touching the machine's shared instance (127.0.0.1:6379) that other suites rely on.
 * Nothing is persisted: a restart brings back an empty server, as a crashed cache would.
 */
export class PrivateRedis {
  /** stdout and stderr of every run, for failure messages. */
  readonly logs: string[] = [];
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly killOnExit = () => {
    this.child?.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  };

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly args: string[],
  ) {
    // A run that ends without afterAll (a thrown beforeAll, --forceExit) must not leave a server behind.
    process.once('exit', this.killOnExit);
  }

  get url(): string {
    return `redis://${HOST}:${this.port}`;
  }

  /** `args` are extra redis-server options, e.g. cluster mode (see PrivateRedisCluster). */
  static async start(args: string[] = []): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), mkdtempSync(join(tmpdir(), 'vc-redis-')), args);
    try {
      await redis.spawnUntilReady();
    } catch (error) {
      await redis.stop();
      throw error;
    }
    return redis;
  }

  /** SIGKILL, as a crash: no shutdown, no save. Resolves once the process has exited. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await this.exited;
  }

  /** A new, empty server on the same port (clients configured with `url` reconnect to it). */
  async restart(): Promise<void> {
    if (this.stopped) throw new Error('PrivateRedis was stopped; start a new one');
    await this.kill();
    await this.spawnUntilReady();
  }

  async stop(): Promise<void> {
    await this.kill();
    if (this.stopped) return;
    this.stopped = true;
    process.removeListener('exit', this.killOnExit);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The old socket can linger for a moment after a kill, so a refused bind is retried, not fatal. */
  private async spawnUntilReady(): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.spawnOnce();
      } catch (error) {
        const bindFailed = error instanceof BindError;
        if (!bindFailed || attempt >= BIND_ATTEMPTS) throw error;
        await sleep(BIND_RETRY_MS);
      }
    }
  }

  private async spawnOnce(): Promise<void> {
    const firstLog = this.logs.length;
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        HOST,
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
        '--daemonize',
        'no',
        ...this.args,
      ],
      { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    const collect = (chunk: Buffer) => this.logs.push(chunk.toString());
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const state: { failure?: Error } = {};
    child.once('error', (error: NodeJS.ErrnoException) => {
      state.failure = error.code === 'ENOENT' ? new Error('redis-server not found on PATH: install redis-server') : error;
    });
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
    void this.exited.then(() => {
      const output = this.logs.slice(firstLog).join('');
      state.failure ??= /Address already in use|Could not create server TCP listening socket/.test(output)
        ? new BindError(`redis-server could not bind ${HOST}:${this.port}:\n${output}`)
        : new Error(`redis-server exited before it was ready:\n${output}`);
    });

    const outcome = await printed(child, /Ready to accept connections/, READY_TIMEOUT_MS);
    if (outcome === 'ready') return;
    if (outcome === 'exited') {
      await this.exited;
      this.child = null;
      throw state.failure;
    }
    await this.kill();
    throw new Error(`redis-server was not ready on ${HOST}:${this.port} within ${READY_TIMEOUT_MS} ms:\n${this.logs.join('')}`);
  }
}

class BindError extends Error {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
