import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS_DOC, renderErrors } from '../../scripts/docs/errors.js';
import { ERROR_GUIDANCE } from '../../scripts/docs/error-guidance.js';
import { ApiError, HTTP_ANSWER } from '../../src/api/errors.js';
import { FailureCodeSchema } from '../../src/lib/failure.js';

describe('docs/errors.md', () => {
  it('is what the generator makes of the codes today', () => {
    const written = readFileSync(ERRORS_DOC, 'utf8');
    expect(written, 'docs/errors.md is out of date: run npm run docs:errors').toBe(`${renderErrors()}\n`);
  });

  it('has a row saying what to do for every failure code, and no row for a code that is gone', () => {
    expect(Object.keys(ERROR_GUIDANCE).sort()).toEqual([...FailureCodeSchema.options].sort());
    const documented = [...readFileSync(ERRORS_DOC, 'utf8').matchAll(/^\| `([a-z_.]+)` \|/gm)].map((match) => match[1]);
    expect(documented).toEqual(FailureCodeSchema.options);
  });

  it('gives each code the API answers with the retry class and status the API sends', () => {
    for (const code of FailureCodeSchema.options.filter((name) => !name.startsWith('source.') && !name.startsWith('slack.'))) {
      const answer = new ApiError(code, 'x');
      expect({ code, retry: answer.kind, status: answer.status }).toEqual({ code, retry: ERROR_GUIDANCE[code].retry, status: HTTP_ANSWER[code].status });
    }
  });
});
