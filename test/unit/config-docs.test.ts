import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { allFields, commonSourceFields, CONFIGURATION_DOC, renderConfiguration } from '../../scripts/docs/configuration.js';
import { loadConfig } from '../../src/config/load.js';

const EXAMPLE_SECRETS = { MDE_TENANT_ID: 'contoso.onmicrosoft.com', MDE_CLIENT_ID: 'client', MDE_CLIENT_SECRET: 'secret' };

describe('docs/configuration.md', () => {
  it('is what the generator makes of the schemas today', () => {
    const written = readFileSync(CONFIGURATION_DOC, 'utf8');
    expect(written, 'docs/configuration.md is out of date: run npm run docs:config').toBe(`${renderConfiguration()}\n`);
  });

  it('says what every variable and key means', () => {
    const undescribed = allFields()
      .filter((field) => !field.description)
      .map((field) => field.path);
    expect(undescribed, 'give these fields a .describe() text, then run npm run docs:config').toEqual([]);
  });

  it('documents every key the example file uses, and the example loads', () => {
    const exampleFile = new URL('../../containment-watch.example.yaml', import.meta.url);
    const example = parseYaml(readFileSync(exampleFile, 'utf8')) as Record<string, unknown>;
    const documented = new Set(allFields().map((field) => field.path));
    const common = new Set(commonSourceFields().map((field) => field.path));
    const sourceKeys = ((example.sources ?? []) as Record<string, unknown>[]).flatMap((source) =>
      Object.keys(source).map((key) => (common.has(key) ? key : `${String(source.type)}: ${key}`)),
    );
    const { sources: _sources, ...rest } = example;
    const undocumented = [...sourceKeys.filter((key) => !common.has(key)), ...keyPaths(rest)].filter((path) => !documented.has(path));
    expect(undocumented).toEqual([]);
    expect(sourceKeys.length).toBeGreaterThan(0);
    expect(loadConfig({ CW_CONFIG: fileURLToPath(exampleFile), ...EXAMPLE_SECRETS }).sources.length).toBe(sourceKeys.filter((key) => key === 'id').length);
  });
});

/** `a.b`, `a[].c`: the path of every key under an object, as the docs name them. */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => (isObject(item) ? keyPaths(item, `${prefix.slice(0, -1)}[].`) : []));
  if (!isObject(value)) return [];
  return Object.entries(value).flatMap(([key, child]) => [`${prefix}${key}`, ...keyPaths(child, `${prefix}${key}.`)]);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
