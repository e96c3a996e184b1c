import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = join(ROOT, 'src');

/** Development code: fakes, harnesses, scenarios and the demo, in `src/dev/` and any `dev/` folder below src. */
const isDevModule = (file: string) => relative(SRC, file).split('/').includes('dev');

/** Every static, re-exported and dynamic import specifier written as a string literal. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])([^'"]+)\1/gm;

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** `importer → imported` for each relative import in `files` that lands in development code. */
function devImports(files: readonly string[]): string[] {
  return files.flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(SPECIFIER)]
      .map((match) => match[2]!)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => resolve(dirname(file), specifier))
      .filter(isDevModule)
      .map((target) => `${relative(ROOT, file)} → ${relative(ROOT, target)}`),
  );
}

describe('production build', () => {
  const files = sourceFiles(SRC);
  const production = files.filter((file) => !isDevModule(file));

  it('has no module that imports development code', () => {
    expect(production.length).toBeGreaterThan(100);
    expect(devImports(production)).toEqual([]);
  });

  it('the scan sees the imports of development code that development code makes', () => {
    expect(devImports([join(SRC, 'dev/demo/demo.ts'), join(SRC, 'sources/mde/dev/index.ts')])).toEqual([
      'src/dev/demo/demo.ts → src/dev/demo/local-redis.js',
      'src/dev/demo/demo.ts → src/dev/vendors.js',
      'src/dev/demo/demo.ts → src/dev/demo/run-demo.js',
      'src/sources/mde/dev/index.ts → src/dev/demo/demo-source.js',
      'src/sources/mde/dev/index.ts → src/dev/vendor-dev-kit.js',
      'src/sources/mde/dev/index.ts → src/sources/mde/dev/fake-mde-server.js',
      'src/sources/mde/dev/index.ts → src/sources/mde/dev/harness.js',
    ]);
  });

  it('compiles (tsconfig.build.json, what the Docker image ships) every production module and no development one', async () => {
    const { stdout } = await promisify(execFile)('npx', ['tsc', '-p', 'tsconfig.build.json', '--listFilesOnly'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    const compiled = stdout
      .split('\n')
      .map((line) => line.trim())
      .filter((file) => file.startsWith(SRC));

    expect(compiled.filter(isDevModule)).toEqual([]);
    expect(compiled.sort()).toEqual([...production].sort());
  });
});
