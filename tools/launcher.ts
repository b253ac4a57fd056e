/**
 * `npm start` and `npm run build`, bundled by tools/start.mjs so that this runs before dist/ exists:
 * read `.env`, check ports, Postgres and Redis (seconds, not a 30 s build, when one is missing),
 * build only what changed, then run the platform from dist/.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig } from '../libs/infra/src/config-loader.js';
import { isCurrent, listFiles, writeStamp, fingerprint } from './build-fingerprint.js';
import { StartConfigSchema } from './start-config.js';
import { PreflightError, preflight } from './start-preflight.js';
import { Supervisor } from './supervisor.js';

const TSC_STAMP = 'dist/.build-stamp.json';

/**
 * What the build reads: what tsconfig.build.json compiles, the web client's static files (copied
 * into its bundle), and what changes how: the configs and the installed packages.
 */
export function compilerInputs(root: string): string[] {
  const source = (file: string) =>
    file.startsWith('apps/web-client/public/') ||
    (file.endsWith('.ts') && !/\.(spec|e2e-spec)\.ts$/.test(file) && !/^apps\/[^/]+\/test\//.test(file));
  return [
    ...listFiles(root, ['apps', 'libs', 'tools'], source),
    ...['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'].filter((f) => existsSync(`${root}${f}`)),
  ];
}

async function build(root: string, supervisor: Supervisor, force: boolean): Promise<void> {
  const inputs = compilerInputs(root);
  if (!force && isCurrent(root, `${root}${TSC_STAMP}`, inputs)) {
    console.log('build: nothing changed since the last build, dist/ kept');
    return;
  }
  // Taken before compiling: a file saved during the build makes the next start build again.
  const print = fingerprint(root, inputs);
  const started = Date.now();
  console.log('build: compiling (incremental)...');
  const tsc = createRequire(`${root}package.json`).resolve('typescript/bin/tsc');
  await supervisor.step(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root });
  await supervisor.step(process.execPath, [`${root}dist/tools/build-web-client.js`], { cwd: root });
  writeStamp(root, `${root}${TSC_STAMP}`, inputs, print);
  console.log(`build: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export async function launch(root: string, command: 'start' | 'build'): Promise<void> {
  const supervisor = new Supervisor();
  try {
    if (command === 'build') return await build(root, supervisor, true);
    // Secrets fixed in .env keep tokens (a phone's, say) valid across restarts; the environment wins.
    if (existsSync(`${root}.env`)) process.loadEnvFile(`${root}.env`);
    const config = loadConfig(StartConfigSchema);
    await preflight(config);
    await build(root, supervisor, false);
    const { startPlatform } = (await import(pathToFileURL(`${root}dist/tools/start.js`).href)) as typeof import('./start.js');
    await startPlatform(config, supervisor);
  } catch (error) {
    if (supervisor.isStopping) return;
    const known = error instanceof ConfigError || error instanceof PreflightError;
    supervisor.stop(1, known ? error.message : `cannot start the platform: ${error instanceof Error ? error.message : String(error)}`);
  }
}
