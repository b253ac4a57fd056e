/**
 * Bundles the web reference client with esbuild from the compiled output (tsc has already checked
 * and emitted it, decorators and all), into dist/web-client with its static files. Skipped when
 * none of the files the last bundle read has changed since.
 */
import { build } from 'esbuild';
import { cpSync, mkdirSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isCurrent, listFiles, writeStamp } from './build-fingerprint.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = `${root}dist/web-client`;
const stampFile = `${out}/.build-stamp.json`;
// The folder itself too: adding a file changes its modification time.
const statics = ['apps/web-client/public', ...listFiles(root, ['apps/web-client/public'], () => true)];

if (isCurrent(root, stampFile) && !process.argv.includes('--force')) {
  console.log('web client: nothing changed, bundle kept');
} else {
  mkdirSync(out, { recursive: true });
  cpSync(`${root}apps/web-client/public`, out, { recursive: true });
  const { metafile } = await build({
    entryPoints: [`${root}dist/apps/web-client/src/main.js`],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    minify: true,
    outfile: `${out}/app.js`,
    logLevel: 'warning',
    metafile: true,
    absWorkingDir: root,
  });
  const inputs = [...statics, ...Object.keys(metafile.inputs).map((file) => relative(root, `${root}${file}`))];
  writeStamp(root, stampFile, inputs);
  console.log(`web client bundled into ${out}`);
}
