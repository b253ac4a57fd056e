/**
 * Whether a build step's inputs changed since it last succeeded: a hash of each input's path, size
 * and modification time, kept in a stamp file beside the output. Reading the metadata of a few
 * hundred files takes milliseconds; `tsc --incremental` needs ~9 s to find that nothing changed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export function fingerprint(root: string, files: string[]): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort()) {
    const path = join(root, file);
    const stat = existsSync(path) ? statSync(path) : null;
    hash.update(`${file}\0${stat ? `${stat.size}:${stat.mtimeMs}` : 'missing'}\n`);
  }
  return hash.digest('hex');
}

/** Files under `dirs` (relative to root) that `keep` accepts, skipping node_modules and dist. */
export function listFiles(root: string, dirs: string[], keep: (file: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) entry.name !== 'node_modules' && entry.name !== 'dist' && walk(path);
      else if (keep(relative(root, path))) out.push(relative(root, path));
    }
  };
  for (const dir of dirs) if (existsSync(join(root, dir))) walk(join(root, dir));
  return out;
}

/** The stamp a step wrote after it last succeeded: its inputs and their fingerprint then. */
interface Stamp {
  files: string[];
  fingerprint: string;
}

export function isCurrent(root: string, stampFile: string, files?: string[]): boolean {
  if (!existsSync(stampFile)) return false;
  const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as Stamp;
  return stamp.fingerprint === fingerprint(root, files ?? stamp.files);
}

export function writeStamp(root: string, stampFile: string, files: string[], print = fingerprint(root, files)): void {
  writeFileSync(stampFile, JSON.stringify({ files, fingerprint: print } satisfies Stamp));
}
