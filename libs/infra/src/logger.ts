import { ConsoleLogger } from '@nestjs/common';

/** One logger shape for every app: a prefix naming the app, JSON when asked (for log shipping). */
export function createLogger(app: string, format: 'text' | 'json'): ConsoleLogger {
  return new ConsoleLogger({ prefix: app, json: format === 'json', timestamp: true });
}
