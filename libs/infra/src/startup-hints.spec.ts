import { describe, expect, it } from '@jest/globals';
import { explainStartupError } from './startup-hints.js';

const refused = (address: string, port: number) =>
  Object.assign(new Error(`connect ECONNREFUSED ${address}:${port}`), { code: 'ECONNREFUSED', address, port });

describe('explaining why an app could not start', () => {
  it('names PostgreSQL and Redis, where they were expected, and how to start each', () => {
    expect(explainStartupError(refused('127.0.0.1', 5432))).toMatch(/^PostgreSQL is not reachable at 127\.0\.0\.1:5432 .*\n.*Debian/);
    expect(explainStartupError(refused('127.0.0.1', 6379))).toMatch(
      /^Redis is not reachable at 127\.0\.0\.1:6379 [\s\S]*Docker: .*-p 6379:6379/,
    );
  });

  it('reads the address from the first attempt of a happy-eyeballs connect', () => {
    const error = new AggregateError([refused('::1', 6379), refused('127.0.0.1', 6379)]);
    expect(explainStartupError(error)).toMatch(/^Redis is not reachable at ::1:6379/);
  });

  it('says which address refused when it cannot tell the service, and names a busy port', () => {
    expect(explainStartupError(refused('10.0.0.5', 7000))).toMatch(/^nothing answers at 10\.0\.0\.5:7000/);
    const busy = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:3000'), { code: 'EADDRINUSE', port: 3000 });
    expect(explainStartupError(busy)).toMatch(/^port 3000 is in use/);
  });

  it('keeps the stack of anything else, which is a bug to read', () => {
    expect(explainStartupError(new TypeError('boom'))).toMatch(/TypeError: boom\n\s+at /);
  });
});
