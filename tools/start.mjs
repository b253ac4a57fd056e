// `npm start` / `npm run build`. Plain JavaScript because it runs before anything is compiled: it
// bundles tools/launcher.ts with esbuild (~0.1 s) and runs it. Usage: node tools/start.mjs [start|build]
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
// Inside the repository so that the bundle's imports of installed packages resolve; per process so
// that two starts never read each other's half-written file.
const outfile = `${root}dist/.launcher/launcher-${process.pid}.mjs`;
await build({
  entryPoints: [`${root}tools/launcher.ts`],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outfile,
  logLevel: 'warning',
});
const { launch } = await import(pathToFileURL(outfile).href);
rmSync(outfile);
await launch(root, process.argv[2] === 'build' ? 'build' : 'start');
