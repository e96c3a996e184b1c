import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { connectorTypes } from '../../src/sources/registry.js';

const docs = new URL('../../docs/sources/', import.meta.url);

describe('docs/sources/', () => {
  it.each(connectorTypes())('has a page for the registered vendor %s, linked from the overview', (type) => {
    expect(existsSync(new URL(`${type}.md`, docs)), `write docs/sources/${type}.md (permissions, limits, the cost of each read)`).toBe(true);
    expect(readFileSync(new URL('README.md', docs), 'utf8')).toContain(`(${type}.md)`);
  });
});
