import type { INestApplication, LoggerService } from '@nestjs/common';
import { ConfigError } from './config-loader.js';
import { explainStartupError } from './startup-hints.js';

/**
 * Starts an app and turns the two ways a boot fails into one clear line each: bad configuration
 * (names the variable) and an unreachable dependency (names it and how to start it).
 */
export async function runApp(name: string, start: () => Promise<INestApplication>, logger?: LoggerService): Promise<void> {
  stopWithParent();
  try {
    const app = await start();
    // Only these: Nest's default list includes SIGUSR2, which operators (and the socket-memory
    // test) send for a heap snapshot with --heapsnapshot-signal.
    app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  } catch (error) {
    const say = (m: string) => (logger ? logger.error(m, name) : console.error(`[${name}] ${m}`));
    if (error instanceof ConfigError) say(error.message);
    else say(`failed to start: ${explainStartupError(error)}`);
    process.exit(1);
  }
}

/**
 * A process started with an IPC channel (as `npm start` starts the apps) shuts down gracefully when
 * that channel closes, which happens however its parent dies, SIGKILL included: no orphan keeps the
 * ports. Without a channel (containers, tests, process managers) this does nothing.
 */
export function stopWithParent(): void {
  if (!process.connected) return;
  process.channel?.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
