import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './app-process.js';
import { printed } from './process-output.js';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
const CHILDREN_EXIT_TIMEOUT_MS = 5_000;
const START_ATTEMPTS = 5;

/** The OS account a child runs as: Postgres refuses to run as root, and the tests usually are root. */
interface RunAs {
  uid: number;
  gid: number;
}

/**
 * A PostgreSQL server of the suite's own (initdb into a temp dir, a free loopback port), so a fault
 * test can kill it and bring it back without touching the machine's shared instance on 5432.
 * The data outlives `kill()`: the next `start()` runs crash recovery over it, as after a real crash.
 */
export class PrivatePostgres {
  /** stdout and stderr of initdb and every run, for failure messages. */
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
    private readonly bin: string,
    private readonly runAs: RunAs | undefined,
  ) {
    // A run that ends without afterAll (a thrown beforeAll, --forceExit) must not leave a server behind.
    process.once('exit', this.killOnExit);
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** initdb into a fresh temp dir, then start the server and wait until it accepts connections. */
  static async start(): Promise<PrivatePostgres> {
    const bin = await postgresBinDir();
    const runAs = await postgresAccount();
    const dir = await mkdtemp(join(tmpdir(), 'vc-pg-'));
    const server = new PrivatePostgres(await freePort(), dir, bin, runAs);
    try {
      if (runAs) await chown(dir, runAs.uid, runAs.gid);
      await server.initdb();
      await server.start();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@${HOST}:${this.port}/${encodeURIComponent(database)}`;
  }

  async createDatabase(name: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.url() });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    } finally {
      await client.end();
    }
  }

  /**
   * Starts the server again on the same port and data (after `kill()`, with crash recovery).
   * Waits until a client can connect, which is after recovery has finished.
   */
  async start(): Promise<void> {
    if (this.stopped) throw new Error('PrivatePostgres was stopped; start a new one');
    if (this.child) return;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.spawnOnce();
      } catch (error) {
        // What a killed server leaves behind (its socket, its shared memory) can outlive it for a moment.
        const leftovers = error instanceof Error && /already in use|shared memory block/.test(error.message);
        if (!leftovers || attempt >= START_ATTEMPTS) throw error;
        await sleep(200);
      }
    }
  }

  /**
   * SIGKILL to the postmaster, as a crash. Its backends notice the death and exit by themselves;
   * this resolves once they are gone and the port refuses connections, so a `start()` can follow.
   */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    const children = child.pid === undefined ? [] : await childPids(child.pid);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await this.exited;
    const deadline = Date.now() + CHILDREN_EXIT_TIMEOUT_MS;
    for (;;) {
      const alive = (await Promise.all(children.map(async (pid) => ((await isAlive(pid)) ? [pid] : [])))).flat();
      if (!alive.length && !(await acceptsConnections(this.port))) return;
      if (Date.now() > deadline) {
        // A backend stuck somewhere that never checks for postmaster death: finish the crash by hand.
        for (const pid of alive) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // Gone between the look and the kill: what we wanted.
          }
        }
      }
      await sleep(25);
    }
  }

  /** A crash and a comeback: kill, then start on the same port and data. */
  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  /** Fast shutdown (SIGINT: disconnect clients, no waiting for them), then the data dir goes. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.stopped) return;
    this.stopped = true;
    process.removeListener('exit', this.killOnExit);
    await rm(this.dir, { recursive: true, force: true });
  }

  private async initdb(): Promise<void> {
    const args = ['-D', this.dataDir, '--auth=trust', '--username=postgres', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'];
    try {
      const { stdout, stderr } = await promisify(execFile)(join(this.bin, 'initdb'), args, this.spawnOptions());
      this.logs.push(stdout, stderr);
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`initdb failed: ${(error as Error).message}\n${stdout}${stderr}`);
    }
  }

  private async spawnOnce(): Promise<void> {
    const firstLog = this.logs.length;
    const args = ['-D', this.dataDir, '-p', String(this.port), '-k', this.dir];
    const settings = ['listen_addresses=127.0.0.1', 'fsync=off', 'max_connections=200'];
    const child = spawn(join(this.bin, 'postgres'), [...args, ...settings.flatMap((s) => ['-c', s])], {
      ...this.spawnOptions(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const collect = (chunk: Buffer) => this.logs.push(chunk.toString());
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const state: { failure?: Error } = {};
    child.once('error', (error) => (state.failure = error));
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
    void this.exited.then(
      () => (state.failure ??= new Error(`postgres exited before it was ready:\n${this.logs.slice(firstLog).join('')}`)),
    );

    const outcome = await printed(child, /database system is ready to accept connections/, READY_TIMEOUT_MS);
    if (outcome === 'ready') return;
    if (outcome === 'exited') {
      await this.exited;
      this.child = null;
      throw state.failure;
    }
    await this.kill();
    throw new Error(`postgres was not ready on ${HOST}:${this.port} within ${READY_TIMEOUT_MS} ms:\n${this.logs.join('')}`);
  }

  private spawnOptions() {
    // A bare env: PGDATA, PGPORT and friends from the test run must not steer the server.
    return { cwd: this.dir, env: { PATH: process.env.PATH ?? '', LC_ALL: 'C.UTF-8' }, ...this.runAs };
  }
}

/** The newest installed major version, so a Postgres upgrade on the machine needs no code change. */
async function postgresBinDir(): Promise<string> {
  const root = '/usr/lib/postgresql';
  const versions = (await readdir(root).catch(() => [] as string[])).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  if (!versions.length) throw new Error(`no PostgreSQL server under ${root}/<version>/bin: install postgresql`);
  return join(root, versions[0]!, 'bin');
}

/**
 * initdb and postgres refuse to run as root. Run as root, the children become the `postgres` account
 * through spawn's uid/gid (not runuser/su: those stay in between as a parent that turns SIGINT into
 * SIGTERM and would take a SIGKILL meant for the postmaster). As anyone else, they run as that user.
 */
async function postgresAccount(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const id = async (flag: string) => Number((await promisify(execFile)('id', [flag, 'postgres'])).stdout.trim());
  try {
    return { uid: await id('-u'), gid: await id('-g') };
  } catch {
    throw new Error('running as root, PrivatePostgres needs an OS user `postgres` to run the server as');
  }
}

/** Children of the postmaster, found by their parent pid (each is its own session leader). */
async function childPids(parent: number): Promise<number[]> {
  const entries = (await readdir('/proc')).filter((e) => /^\d+$/.test(e));
  const pids = await Promise.all(
    entries.map(async (entry) => {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
      // The command name in parentheses may hold spaces; the fields after its closing one are fixed.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === parent ? [Number(entry)] : [];
    }),
  );
  return pids.flat();
}

/** A zombie counts as gone: it holds no port and no shared memory, and nobody here may reap it. */
async function isAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  return stat !== '' && state !== 'Z' && state !== 'X';
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, HOST);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
