/**
 * The processes `npm start` runs, and the one way they all stop. npm forwards SIGINT and SIGTERM to
 * its script (`exec` in the script makes that this process, not a shell that would swallow them),
 * a terminal's Ctrl-C reaches us too, and an IDE may signal only npm: each stops every child and
 * waits for it, so the ports are free when npm exits. The apps run in their own process groups (so
 * a Ctrl-C reaches them once, from us) with an IPC channel whose loss stops them if we are killed.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';

/** An app that ignores SIGTERM this long is killed: a stop must end. */
const STOP_GRACE_MS = 10_000;
const PARENT_CHECK_MS = 1000;

export class Supervisor {
  private readonly children = new Set<ChildProcess>();
  private stopping = false;

  constructor() {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => this.stop(0, `${signal}: stopping`));
    // If npm itself is SIGKILLed we are handed to init: stop rather than run on unseen.
    const parent = process.ppid;
    setInterval(() => process.ppid !== parent && this.stop(1, 'npm went away: stopping'), PARENT_CHECK_MS).unref();
  }

  /** Runs a Node script as a supervised app. */
  app(script: string, env: NodeJS.ProcessEnv): ChildProcess {
    return this.track(spawn(process.execPath, [script], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }));
  }

  /** Runs a build step to its end; a stop meanwhile ends it too. */
  async step(command: string, args: string[], options: SpawnOptions = {}): Promise<void> {
    const child = this.track(spawn(command, args, { stdio: 'inherit', ...options }));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0 && !this.stopping) throw new Error(`${[command, ...args].join(' ')} failed (exit ${code})`);
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Stops every child, waits for each to exit, then exits with `code`. Only the first call counts. */
  stop(code: number, message?: string): void {
    if (this.stopping) return;
    this.stopping = true;
    if (message) (code ? console.error : console.log)(message);
    const live = [...this.children].filter((c) => c.exitCode === null && c.signalCode === null);
    const exits = live.map((child) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS).unref();
      return exited;
    });
    void Promise.all(exits).then(() => process.exit(code));
  }

  private track(child: ChildProcess): ChildProcess {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }
}
