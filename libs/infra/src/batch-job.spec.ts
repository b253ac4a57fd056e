import { describe, expect, it } from '@jest/globals';
import { recordEach } from './batch-job.js';

describe('recordEach', () => {
  it('records every item in order even when one fails, then fails with that error', async () => {
    const recorded: number[] = [];
    const boom = new Error('item 2 is poison');
    const run = recordEach([1, 2, 3], async (item) => {
      if (item === 2) throw boom;
      recorded.push(item);
    });
    await expect(run).rejects.toBe(boom);
    expect(recorded).toEqual([1, 3]);
  });

  it('names how many failed when several do, and succeeds when none does', async () => {
    await expect(recordEach([1, 2, 3], async (item) => (item > 1 ? Promise.reject(new Error(`no ${item}`)) : undefined))).rejects.toThrow(
      '2 of 3 items failed',
    );
    await expect(recordEach([1, 2], async () => undefined)).resolves.toBeUndefined();
  });
});
