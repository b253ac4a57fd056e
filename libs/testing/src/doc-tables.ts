import { readFileSync } from 'node:fs';

/** A file under docs/, found from this file in the source tree (unit tests run from source, not dist/). */
export const readDoc = (name: string): string => readFileSync(new URL(`../../../docs/${name}`, import.meta.url), 'utf8');

const cells = (row: string) =>
  row
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());

/**
 * The first cell of every body row of the markdown table whose header starts with `firstHeader`,
 * backticks stripped: what a doc lists, for a test that keeps the list and the code in step. Throws
 * when no such table exists, so a renamed header cannot turn the check into a no-op.
 */
export function documentedKeys(markdown: string, firstHeader: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex(
    (line, i) => line.trim().startsWith('|') && cells(line)[0] === firstHeader && /^\|[-:| ]+\|$/.test(lines[i + 1]?.trim() ?? ''),
  );
  if (start < 0) throw new Error(`no table whose first header is ${firstHeader}`);
  const keys: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.trim().startsWith('|')) break;
    keys.push(cells(line)[0]!.replace(/`/g, ''));
  }
  return keys;
}
