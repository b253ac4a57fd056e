// Summarises .cpuprofile files (from BENCH_SETUP_PROFILE) as self time per package and per function,
// the view docs/performance.md (section 4) quotes. Usage: node bench/sections/setup-profile-summary.mjs <dir> [top]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, top = '25'] = process.argv.slice(2);
if (!dir) throw new Error('usage: setup-profile-summary.mjs <dir> [top]');

const where = (url) => {
  if (!url) return '(native/gc/idle)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const app = /dist\/(apps\/[^/]+\/src\/[^/]+|libs\/[^/]+)/.exec(url)?.[1];
  return app ?? url;
};

for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.cpuprofile'))
  .sort()) {
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const deltas = profile.timeDeltas;
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0)));
  let total = 0;
  let idle = 0;
  const packages = new Map();
  const functions = new Map();
  for (const [id, us] of self) {
    const { callFrame } = byId.get(id);
    if (callFrame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    const pkg = where(callFrame.url);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
    const fn = `${callFrame.functionName || '(anonymous)'} ${pkg}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const show = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, Number(top))
      .map(([k, us]) => `  ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`)
      .join('\n');
  console.log(
    `## ${file}: ${(total / 1000).toFixed(0)} ms busy, ${(idle / 1000).toFixed(0)} ms idle\nby package:\n${show(packages)}\nby function:\n${show(functions)}\n`,
  );
}
