// `npm run bench`: runs each section as its own process, in sequence, and merges what they report
// into bench/results/latest.json. See bench/README.md for the sections and the section contract.
//
// node bench/run.mjs [--quick] [--only relay,connections]   (after `npm run build`)
// env: BENCH_SECTION_TIMEOUT_S (default 1800, quick 300): a section still running then is stopped.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SECTIONS = ['relay', 'setup', 'connections', 'push', 'history', 'resume'];
const REQUIRED_FIGURES = [
  'relay.sameNode.ratioP50',
  'relay.crossNode.ratioP50',
  'setup.p99Ms',
  'setup.callsPerSecond',
  'setup.cpuMsPerCall',
  'connections.ratio',
  'push.p99Ms',
  'push.ratio',
  'history.listP99Ms',
  'history.detailP99Ms',
  'history.statsP99Ms',
  'resume.p99Ms',
];
/** After SIGTERM, how long a section gets to run its own cleanups before its process group is killed. */
const CLEANUP_GRACE_MS = 30_000;

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? (args[onlyIndex + 1] ?? '').split(',').filter(Boolean) : null;
const unknown = (only ?? []).filter((s) => !SECTIONS.includes(s));
if (unknown.length) {
  console.error(`unknown section(s): ${unknown.join(', ')}; known: ${SECTIONS.join(', ')}`);
  process.exit(2);
}
const timeoutMs = Number(process.env.BENCH_SECTION_TIMEOUT_S ?? (quick ? 300 : 1800)) * 1000;

const machine = () => ({
  cpus: cpus().length,
  model: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
  node: process.version,
  kernel: `${type()} ${release()}`,
});

/** {"a.b.c": 1} merged into `into` as {a: {b: {c: 1}}}. */
function setDotted(into, key, value) {
  const parts = key.split('.');
  let node = into;
  for (const part of parts.slice(0, -1)) node = node[part] = typeof node[part] === 'object' && node[part] !== null ? node[part] : {};
  node[parts.at(-1)] = value;
}

let current = null; // the running section's child, for SIGINT/SIGTERM on the orchestrator
let interrupted = false;
/**
 * Runs one section in its own process group, so a hung section's apps and load generators can be
 * killed with it. On timeout it first gets SIGTERM, to clean up (drop its database, Redis keys...).
 */
function runOne(name, out) {
  const child = spawn(process.execPath, [join(BENCH, 'sections', `${name}.mjs`), ...(quick ? ['--quick'] : []), '--out', out], {
    stdio: 'inherit',
    detached: true,
  });
  current = child;
  return new Promise((resolve) => {
    let timedOut = false;
    const killGroup = () => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`bench: ${name} still running after ${timeoutMs / 1000} s: stopping it`);
      child.kill('SIGTERM');
      setTimeout(killGroup, CLEANUP_GRACE_MS).unref();
    }, timeoutMs);
    child.once('error', (error) => (clearTimeout(timer), resolve({ code: null, error: error.message })));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      killGroup(); // whatever it left running (its own cleanup has had its chance)
      current = null;
      resolve({ code, signal, timedOut });
    });
  });
}

for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => {
    console.error(`bench: ${signal}: stopping the running section`);
    interrupted = true;
    current?.kill('SIGTERM');
    setTimeout(() => process.exit(1), CLEANUP_GRACE_MS).unref();
    if (!current) process.exit(1);
  });

const report = { startedAt: new Date().toISOString(), quick, machine: machine(), loadAverage: { before: loadavg() } };
const sections = {};
const tables = [];
const scratch = mkdtempSync(join(tmpdir(), 'vc-bench-'));
let failed = 0;
try {
  for (const name of only ?? SECTIONS) {
    if (interrupted) break;
    if (!existsSync(join(BENCH, 'sections', `${name}.mjs`))) {
      console.log(`bench: ${name}: skipped, bench/sections/${name}.mjs does not exist on this branch`);
      sections[name] = { status: 'missing' };
      continue;
    }
    console.log(`bench: ${name}${quick ? ' (quick)' : ''}...`);
    const out = join(scratch, `${name}.json`);
    const t0 = performance.now();
    const exit = await runOne(name, out);
    const durationS = Number(((performance.now() - t0) / 1000).toFixed(1));
    let result = null;
    try {
      result = exit.code === 0 ? JSON.parse(readFileSync(out, 'utf8')) : null;
    } catch (error) {
      exit.error = `no readable result: ${error.message}`;
    }
    if (!result) {
      failed += 1;
      sections[name] = { status: 'failed', durationS, exit };
      console.error(`bench: ${name} FAILED after ${durationS} s (${JSON.stringify(exit)})`);
      continue;
    }
    for (const [key, value] of Object.entries(result.figures)) setDotted(report, key, value);
    sections[name] = { status: 'ok', durationS, figures: result.figures, detail: result.detail };
    tables.push(`## ${name} (${durationS} s)\n\n${result.table}`);
    console.log(`bench: ${name} done in ${durationS} s`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

report.finishedAt = new Date().toISOString();
report.loadAverage.after = loadavg();
report.sections = sections;
const missing = REQUIRED_FIGURES.filter((key) => typeof key.split('.').reduce((node, part) => node?.[part], report) !== 'number');
report.missingFigures = missing;
mkdirSync(join(BENCH, 'results'), { recursive: true });
writeFileSync(join(BENCH, 'results', 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);

console.log(`\n${tables.join('\n\n')}\n`);
const m = report.machine;
console.log(
  `${m.cpus} × ${m.model}, ${m.memoryGiB} GiB, Node ${m.node}, ${m.kernel}; load average ${report.loadAverage.before.map((l) => l.toFixed(2)).join(' ')} before, ${report.loadAverage.after.map((l) => l.toFixed(2)).join(' ')} after`,
);
if (missing.length) console.log(`figures missing: ${missing.join(', ')}`);
console.log(`written: bench/results/latest.json${failed ? `; ${failed} section(s) FAILED` : ''}`);
process.exit(failed ? 1 : 0);
