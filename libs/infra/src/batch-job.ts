/**
 * Runs `record` for each item of a batched job in order, and fails the job only after trying them
 * all. One item that keeps failing then costs itself, not every item after it: the job's retries
 * skip what was already written (each item is idempotent by its own key), and when its attempts
 * run out only the failing items are lost.
 */
export async function recordEach<T>(items: readonly T[], record: (item: T, index: number) => Promise<unknown>): Promise<void> {
  const failures: unknown[] = [];
  for (const [index, item] of items.entries()) await record(item, index).catch((error: unknown) => failures.push(error));
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} of ${items.length} items failed`);
}
