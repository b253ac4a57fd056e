import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { LogBudget } from './log-budget.js';
import { withLogContext } from './log-context.js';
import { PinoLogger, createLogger } from './pino-logger.service.js';

function capture(): { logger: PinoLogger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _e, done) => (out.push(chunk.toString()), done()) });
  const logger = new PinoLogger(
    pino(
      { level: 'debug', redact: { paths: ['token', '*.sdp'], censor: '[redacted]' }, mixin: () => ({}) },
      { write: (line: string) => stream.write(line) },
    ),
  );
  return {
    logger,
    lines: () =>
      out
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('PinoLogger, Nest over pino', () => {
  it("keeps an object message's fields as fields and Nest's context as a field", () => {
    const { logger, lines } = capture();
    logger.warn({ msg: 'push failed', callId: 'c1', status: 400 }, 'PushReporter');
    expect(lines()[0]).toMatchObject({ level: 40, msg: 'push failed', callId: 'c1', status: 400, context: 'PushReporter' });
  });

  it("reads Nest's error(message, stack, context)", () => {
    const { logger, lines } = capture();
    logger.error('boom', 'Error: boom\n    at x', 'Gateway');
    expect(lines()[0]).toMatchObject({ level: 50, msg: 'boom', stack: 'Error: boom\n    at x', context: 'Gateway' });
  });

  it('writes nothing below its level', () => {
    const { logger, lines } = capture();
    logger.debug('seen');
    logger.verbose('not seen');
    expect(lines().map((l) => l.msg)).toEqual(['seen']);
  });
});

describe('createLogger', () => {
  const run = (format: 'json' | 'text', work: (logger: PinoLogger) => void): string => {
    const out: string[] = [];
    const stream = new Writable({ write: (chunk: Buffer, _e, done) => (out.push(chunk.toString()), done()) });
    work(createLogger('test', format, 'info', false, stream));
    return out.join('');
  };

  it('adds the fields in scope to each line, and redacts tokens and SDP bodies whoever logs them', () => {
    const json = run('json', (logger) =>
      withLogContext({ requestId: 'r1', callId: 'c1' }, () =>
        logger.log({ msg: 'relayed', token: 'secret-token', description: { type: 'offer', sdp: 'v=0 secret-sdp' } }),
      ),
    );
    expect(JSON.parse(json)).toMatchObject({ app: 'test', msg: 'relayed', requestId: 'r1', callId: 'c1', token: '[redacted]' });
    expect(json).not.toMatch(/secret-(token|sdp)/);
  });

  it('writes text for a person: level, app, context, message, then the fields', () => {
    const text = run('text', (logger) => withLogContext({ callId: 'c1' }, () => logger.warn('held', 'Gateway')));
    expect(text).toMatch(/^\S+Z WARN  \[test\] Gateway held callId=c1\n$/);
  });
});

describe('LogBudget', () => {
  it('allows so many lines a window, then counts what it skipped for the next allowed one', () => {
    const budget = new LogBudget(2, 1000);
    expect([budget.take(0), budget.take(1), budget.take(2), budget.take(3)]).toEqual([0, 0, null, null]);
    expect(budget.take(1000)).toBe(2);
    expect(budget.take(1001)).toBe(0);
  });
});
