/**
 * Bundles the web reference client with esbuild from the compiled output (tsc has already checked
 * and emitted it, decorators and all), into dist/web-client with its static files.
 */
import { build } from 'esbuild';
import { cpSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = `${root}dist/web-client`;
mkdirSync(out, { recursive: true });
cpSync(`${root}apps/web-client/public`, out, { recursive: true });
await build({
  entryPoints: [`${root}dist/apps/web-client/src/main.js`],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  minify: true,
  outfile: `${out}/app.js`,
  logLevel: 'warning',
});
console.log(`web client bundled into ${out}`);
