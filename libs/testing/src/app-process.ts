import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/dist\/$/, '/');

export type AppName = 'gateway' | 'calls' | 'notifier';

// The kernel may hand the same ephemeral port to two probes in a row; a test that points one
// app at a "dead" port while another app takes the next free one must never get both the same.
const handedOut = new Set<number>();

export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** One app running as its own process from the build output, as in production. */
export class AppProcess {
  readonly logs: string[] = [];
  private exited: Promise<number | null>;

  private constructor(
    readonly name: AppName,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    const collect = (chunk: Buffer) => this.logs.push(chunk.toString());
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** How it ended, for failure messages: `null` while it runs. */
  get ended(): string | null {
    if (this.child.exitCode !== null) return `exited with ${this.child.exitCode}`;
    return this.child.signalCode ? `killed by ${this.child.signalCode}` : null;
  }

  /** Resolves with the exit code once the process is gone, however it ended. */
  get exit(): Promise<number | null> {
    return this.exited;
  }

  /** The process id, e.g. to read its CPU time from /proc. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Sends a signal without waiting (e.g. SIGUSR2 for a heap snapshot with --heapsnapshot-signal). */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Starts the app and waits until /health says ready. */
  static async start(name: AppName, env: Record<string, string>, options: { port?: number } = {}): Promise<AppProcess> {
    const chosen = options.port ?? (await freePort());
    const child = spawn(process.execPath, [`${ROOT}dist/apps/${name}/src/main.js`], {
      // HOST may be widened (0.0.0.0) so a browser in a network namespace reaches the app; `url` stays on loopback.
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', HOST: '127.0.0.1', ...env, PORT: String(chosen) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const app = new AppProcess(name, chosen, child);
    try {
      await app.waitHealthy();
    } catch (error) {
      // A process that never became healthy is no one's to stop: it would outlive the run.
      await app.stop('SIGKILL');
      throw error;
    }
    return app;
  }

  /**
   * Boot takes 2-3 s on a quiet machine; a loaded one (a benchmark or a second suite beside this
   * one) has taken over 20 s, and a start that fails only for that tells nobody anything.
   */
  async waitHealthy(timeoutMs = 45_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exitCode: number | null | undefined;
    void this.exited.then((code) => (exitCode = code));
    while (Date.now() < deadline) {
      if (exitCode !== undefined) throw new Error(`${this.name} exited with ${exitCode}:\n${this.logs.join('')}`);
      const healthy = await fetch(`${this.url}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (healthy) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.name} not healthy after ${timeoutMs} ms:\n${this.logs.join('')}`);
  }

  /** SIGTERM by default (graceful); SIGKILL to simulate a crash. Resolves when the process is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

export async function runMigrations(databaseUrl: string): Promise<void> {
  const child = spawn(process.execPath, [`${ROOT}dist/apps/calls/src/database/migrate.js`], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`migrations failed (${code}): ${output}`);
}
