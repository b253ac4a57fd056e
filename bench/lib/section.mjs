// What every section shares: the contract's command line (`[--quick] --out <file>`), cleanups that
// run however the section ends (success, failure, SIGTERM from the orchestrator's timeout, its own
// watchdog), and the result file. See bench/README.md.
import { writeFileSync } from 'node:fs';

/**
 * Runs `body({ quick, defer, started })` and writes what it returns ({ figures, detail, table }) to
 * --out. `defer(fn)` registers a cleanup (run last-in first-out); `started(promise, stop)` registers
 * the stop of something still starting, so a SIGTERM during a slow start still stops it once it is up.
 */
export async function runSection(name, body, { watchdogMs, quickWatchdogMs = 240_000 } = {}) {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const outIndex = args.indexOf('--out');
  const out = outIndex >= 0 ? args[outIndex + 1] : null;
  if (!out) throw new Error(`${name}: usage: node bench/sections/${name}.mjs [--quick] --out <file.json>`);

  const cleanups = [];
  let cleaning = null;
  const cleanup = () =>
    (cleaning ??= (async () => {
      while (cleanups.length)
        await cleanups
          .pop()()
          .catch((e) => console.error(`${name}: cleanup: ${e?.message ?? e}`));
    })());
  const defer = (fn) => void cleanups.push(fn);
  const started = (promise, stop) => {
    defer(async () => {
      const thing = await promise.catch(() => null);
      if (thing) await stop(thing);
    });
    return promise;
  };
  const abort = (why) => {
    console.error(`${name}: ${why}, cleaning up`);
    void cleanup().finally(() => process.exit(1));
  };
  process.once('SIGTERM', () => abort('SIGTERM'));
  process.once('SIGINT', () => abort('SIGINT'));
  const limit = quick ? quickWatchdogMs : (watchdogMs ?? 25 * 60_000);
  setTimeout(() => abort(`still running after ${limit / 1000} s`), limit).unref();

  let exitCode = 0;
  try {
    const result = await body({ quick, defer, started });
    writeFileSync(out, JSON.stringify({ figures: result.figures ?? {}, detail: result.detail ?? {}, table: result.table ?? '' }, null, 2));
  } catch (error) {
    console.error(`${name}: failed:`, error);
    exitCode = 1;
  } finally {
    await cleanup();
  }
  process.exit(exitCode);
}
