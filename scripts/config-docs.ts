import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONFIGURATION_DOC, renderConfiguration } from './docs/configuration.js';

writeFileSync(CONFIGURATION_DOC, `${renderConfiguration()}\n`);
console.log(`wrote ${fileURLToPath(CONFIGURATION_DOC)}`);
