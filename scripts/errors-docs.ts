import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERRORS_DOC, renderErrors } from './docs/errors.js';

writeFileSync(ERRORS_DOC, `${renderErrors()}\n`);
console.log(`wrote ${fileURLToPath(ERRORS_DOC)}`);
