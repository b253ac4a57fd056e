import type { LoggerService } from '@nestjs/common';
import { type Logger, type LevelWithSilent, pino } from 'pino';
import { colorsWanted } from '../config-loader.js';
import { logContext } from './log-context.js';
import { textLogStream } from './text-log-stream.js';

export type LogFormat = 'text' | 'json';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * Paths never written, whoever logs them: tokens and SDP bodies are secrets or personal data
 * (an SDP names the device's addresses). Callers must not log them at all; this is the net below.
 */
const REDACTED = [
  'token',
  'pushToken',
  'voipToken',
  'apnsToken',
  'resumeToken',
  'authorization',
  'sdp',
  'description',
  '*.token',
  '*.voipToken',
  '*.apnsToken',
  '*.resumeToken',
  '*.authorization',
  '*.sdp',
  '*.description',
];

/** Nest's levels on pino's: verbose is trace, log is info. */
type NestLevel = 'verbose' | 'debug' | 'log' | 'warn' | 'error' | 'fatal';
const LEVELS: Record<NestLevel, LevelWithSilent> = {
  verbose: 'trace',
  debug: 'debug',
  log: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
};

/**
 * Nest's LoggerService over pino: Nest's own lines and every `new Logger(Context)` in the apps
 * come here. A message may be a string or an object `{ msg, ...fields }`; fields stay fields, and
 * the request's fields in scope (withLogContext) are added to every line.
 */
export class PinoLogger implements LoggerService {
  constructor(readonly pino: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('log', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }
  /** Nest calls error(message, stack?, context?). */
  error(message: unknown, ...params: unknown[]): void {
    const stack = params.length >= 2 && typeof params[0] === 'string' ? params[0] : undefined;
    this.write('error', message, stack ? params.slice(1) : params, stack);
  }

  private write(level: NestLevel, message: unknown, params: unknown[], stack?: string): void {
    const target = LEVELS[level];
    if (!this.pino.isLevelEnabled(target)) return;
    const context = typeof params.at(-1) === 'string' ? (params.at(-1) as string) : undefined;
    const fields: Record<string, unknown> = { ...(context ? { context } : {}), ...(stack ? { stack } : {}) };
    if (message instanceof Error) this.pino[target]({ ...fields, err: message }, message.message);
    else if (message && typeof message === 'object') {
      const { msg, ...rest } = message as Record<string, unknown>;
      this.pino[target]({ ...fields, ...rest }, typeof msg === 'string' ? msg : '');
    } else this.pino[target](fields, String(message));
  }
}

/**
 * One logger for every app: JSON lines for log shipping, or text for a person (coloured only
 * when a terminal reads it, as colorsWanted decides).
 */
export function createLogger(
  app: string,
  format: LogFormat,
  level: LogLevel = 'info',
  colours = colorsWanted(),
  out: NodeJS.WritableStream = process.stdout,
): PinoLogger {
  const options = {
    level,
    base: { app },
    redact: { paths: REDACTED, censor: '[redacted]' },
    mixin: () => logContext() ?? {},
  };
  const destination = format === 'json' ? (out === process.stdout ? undefined : out) : textLogStream(colours, out);
  return new PinoLogger(destination ? pino(options, destination) : pino(options));
}
