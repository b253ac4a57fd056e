import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const RESULTS = fileURLToPath(new URL('../results/hostile.json', import.meta.url));

/** The figures issue 12 asks of `npm run test:hostile`; null until the test that measures it has run. */
export interface HostileResults {
  seed: number;
  inputsTried: number | null;
  crashes: number | null;
  unanswered: number | null;
  stateChanges: number | null;
  floodRelayP95Ratio: number | null;
  pushesPerCalleePerMinuteMax: number | null;
  detail: Record<string, unknown>;
}

/** test/results/hostile.json (gitignored), written even when a test failed, with what was measured. */
export async function writeHostileResults(results: HostileResults): Promise<void> {
  await mkdir(dirname(RESULTS), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify({ writtenAt: new Date().toISOString(), ...results }, null, 2)}\n`);
}
