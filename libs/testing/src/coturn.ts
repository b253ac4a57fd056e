import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CoturnOptions {
  /** static-auth-secret: what mintTurnCredentials signs with. */
  secret: string;
  realm?: string;
  /** PEM certificate and key: coturn then also serves TURN over TLS, on `tlsPort`. */
  tls?: { cert: string; key: string };
}

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 3_000;

/**
 * A real coturn (`turnserver`) on loopback with TURN REST credentials, one per suite. Each instance
 * gets its own temp dir, a free listening port and a random 1000-port relay window so parallel jest
 * workers and suites do not fight over relay ports.
 */
export class Coturn {
  /** stdout and stderr of every run, for failure messages and log assertions. */
  readonly logs: string[] = [];
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly configFile: string,
    /** TURN over TLS (TCP), when started with `tls`. */
    readonly tlsPort: number | null,
  ) {}

  get url(): string {
    return `turn:${HOST}:${this.port}?transport=udp`;
  }

  static async start(options: CoturnOptions): Promise<Coturn> {
    const dir = await mkdtemp(join(tmpdir(), 'vc-coturn-'));
    const port = await freeUdpAndTcpPort();
    const tlsPort = options.tls ? await freeUdpAndTcpPort() : null;
    if (options.tls) {
      await writeFile(join(dir, 'cert.pem'), options.tls.cert);
      await writeFile(join(dir, 'key.pem'), options.tls.key, { mode: 0o600 });
    }
    const minPort = 40_000 + randomInt(20) * 1000;
    const config = [
      `listening-ip=${HOST}`,
      `relay-ip=${HOST}`,
      `listening-port=${port}`,
      `min-port=${minPort}`,
      `max-port=${minPort + 999}`,
      'use-auth-secret',
      `static-auth-secret=${options.secret}`,
      `realm=${options.realm ?? 'test.local'}`,
      'fingerprint',
      ...(options.tls ? [`tls-listening-port=${tlsPort}`, `cert=${join(dir, 'cert.pem')}`, `pkey=${join(dir, 'key.pem')}`] : ['no-tls']),
      'no-dtls',
      'no-cli',
      // Tests relay between loopback peers; coturn refuses that with 403 Forbidden IP otherwise. Never in production.
      'allow-loopback-peers',
      'no-multicast-peers',
      'log-file=stdout',
      'simple-log',
      `pidfile=${join(dir, 'turnserver.pid')}`,
      `userdb=${join(dir, 'turndb')}`,
    ];
    const configFile = join(dir, 'turnserver.conf');
    await writeFile(configFile, `${config.join('\n')}\n`, { mode: 0o600 });
    const coturn = new Coturn(port, dir, configFile, tlsPort);
    try {
      await coturn.spawn();
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    return coturn;
  }

  /** Kills coturn (SIGTERM; SIGKILL simulates a crash) and starts it again on the same port and config. */
  async restart(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.halt(signal);
    await this.spawn();
  }

  /** Takes coturn down but keeps its config, for a `revive()` later: a relay outage mid-call. */
  async suspend(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.halt(signal);
  }

  async revive(): Promise<void> {
    await this.spawn();
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.halt(signal);
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Resolves once coturn has logged a line matching `pattern`: its stdout arrives after the client's answer. */
  async waitForLog(pattern: RegExp | string, timeoutMs = 2_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const matches = () =>
      this.logs
        .join('')
        .split('\n')
        .some((line) => (typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line)));
    while (!matches()) {
      if (Date.now() > deadline) throw new Error(`coturn never logged ${String(pattern)}:\n${this.logs.join('')}`);
      await sleep(20);
    }
  }

  private async spawn(): Promise<void> {
    const child = spawn('turnserver', ['-c', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const collect = (chunk: Buffer) => this.logs.push(chunk.toString());
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const state: { failure?: Error } = {};
    child.once('error', (error: NodeJS.ErrnoException) => {
      state.failure =
        error.code === 'ENOENT'
          ? new Error('turnserver not found on PATH: install coturn (apt-get install -y coturn); TURN tests need a real server')
          : error;
    });
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
    void this.exited.then(() => (state.failure ??= new Error(`turnserver exited before it was ready:\n${this.logs.join('')}`)));
    // A run that ends without afterAll (a thrown beforeAll, --forceExit) must not leave a relay behind.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    void this.exited.then(() => process.removeListener('exit', killOnExit));

    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await stunBindingAnswered(this.port))) {
      if (state.failure) throw state.failure;
      if (Date.now() > deadline) {
        await this.halt('SIGKILL');
        throw new Error(`turnserver did not answer STUN on ${HOST}:${this.port} within ${READY_TIMEOUT_MS} ms:\n${this.logs.join('')}`);
      }
      await sleep(25);
    }
  }

  private async halt(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

/** coturn listens on UDP and TCP on the same port; a port busy on either makes it start half-deaf. */
async function freeUdpAndTcpPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const socket = createSocket('udp4');
    const port = await new Promise<number>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, HOST, () => resolve(socket.address().port));
    });
    const tcpFree = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, HOST, () => server.close(() => resolve(true)));
    });
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    if (tcpFree) return port;
  }
  throw new Error('no port free on both UDP and TCP on 127.0.0.1');
}

/** A STUN Binding request (RFC 8489) needs no credentials, so an answer means coturn is serving. */
async function stunBindingAnswered(port: number, timeoutMs = 200): Promise<boolean> {
  const transactionId = randomBytes(12);
  const request = Buffer.alloc(20);
  request.writeUInt16BE(0x0001, 0);
  request.writeUInt32BE(0x2112a442, 4);
  transactionId.copy(request, 8);
  const socket = createSocket('udp4');
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      socket.once('error', () => {
        clearTimeout(timer);
        resolve(false);
      });
      socket.on('message', (message) => {
        if (message.length >= 20 && message.readUInt16BE(0) === 0x0101 && message.subarray(8, 20).equals(transactionId)) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      socket.send(request, port, HOST);
    });
  } finally {
    socket.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
