import type { Page } from 'playwright-core';

/** Frames must rise at every poll for this long to count as decoding again, not a jitter buffer emptying. */
const SUSTAINED_MS = 1000;
const POLL_MS = 200;

/**
 * Milliseconds from `since` (the path became usable) until `read` (frames decoded) rises on every
 * page again: the poll that opened a run of progress at every poll for SUSTAINED_MS. Frames still in flight when the path
 * broke make a short run that does not count. Throws after `timeoutMs`.
 */
export async function sustainedProgress(
  pages: Page[],
  read: (page: Page) => Promise<number>,
  since: number,
  timeoutMs = 20_000,
): Promise<number> {
  const last = await Promise.all(pages.map(read));
  const runFrom: (number | null)[] = pages.map(() => null);
  const doneAt: (number | null)[] = pages.map(() => null);
  while (doneAt.some((d) => d === null)) {
    if (performance.now() - since > timeoutMs)
      throw new Error(`frames did not decode again within ${timeoutMs} ms (decoded so far: ${last.join(', ')})`);
    await new Promise((r) => setTimeout(r, POLL_MS)); // the poll period
    const counts = await Promise.all(pages.map(read));
    const now = performance.now();
    counts.forEach((count, i) => {
      if (doneAt[i] !== null) return;
      if (count > last[i]!) runFrom[i] ??= now;
      else runFrom[i] = null;
      if (runFrom[i] !== null && now - runFrom[i]! >= SUSTAINED_MS) doneAt[i] = runFrom[i];
      last[i] = count;
    });
  }
  if (process.env.NETWORK_TRACE) console.log(`frames again per page: ${doneAt.map((d) => Math.round(d! - since)).join(', ')} ms`);
  return Math.max(0, Math.round(Math.max(...(doneAt as number[])) - since));
}
