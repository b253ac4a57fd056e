import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAsyncApiDocument } from './asyncapi.js';

// Runs compiled, from dist/tools/, two levels below the repository root.
const target = fileURLToPath(new URL('../../docs/asyncapi.json', import.meta.url));

mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, `${JSON.stringify(buildAsyncApiDocument(), null, 2)}\n`);
console.log(`wrote ${target}`);
