/** How often a poll looks again: often enough to add little to a test, rare enough to cost nothing. */
const POLL_EVERY_MS = 100;

/**
 * Reads `read` until `done` holds for what it returned, and returns that. Only for state no event
 * announces (a row a queue or a periodic job writes, a counter behind `/metrics`); where a client
 * sees an event, wait for the event instead. Past `timeoutMs` it throws, naming `what` and the last
 * value, so a failure says what was there instead.
 */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} never happened; last seen: ${describe(value)}`);
    await new Promise((r) => setTimeout(r, POLL_EVERY_MS));
  }
}

function describe(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 8000 ? `${text.slice(0, 8000)}…` : text;
}
