import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Recording } from './recordings.js';

export type FetchOutcome =
  | { name: string; status: 'present' | 'downloaded'; path: string }
  | { name: string; status: 'failed'; reason: string };

export interface FetchOptions {
  /** Base URL the manifest's paths are resolved against (ends with `/`). */
  baseUrl: string;
  folder: string;
  recordings: readonly Recording[];
  /** Per file; default 10 minutes. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

/** SHA-256 of a file, hex; undefined when there is no such file. */
export async function sha256Of(path: string): Promise<string | undefined> {
  try {
    if (!(await stat(path)).isFile()) return undefined;
  } catch {
    return undefined;
  }
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/**
 * Downloads every recording the folder lacks (or holds with another hash) into `folder`. A download goes to a
 * temporary name and becomes `<name>.zip` only when its SHA-256 is the manifest's; a file with any other hash is
 * deleted and reported as failed, never left where the evaluation would read it.
 */
export async function fetchRecordings(options: FetchOptions): Promise<FetchOutcome[]> {
  const log = options.log ?? (() => undefined);
  await mkdir(options.folder, { recursive: true });
  const outcomes: FetchOutcome[] = [];
  for (const recording of options.recordings) {
    const path = join(options.folder, `${recording.name}.zip`);
    const present = await sha256Of(path);
    if (present === recording.sha256) {
      log(`${recording.name}.zip: present, SHA-256 verified`);
      outcomes.push({ name: recording.name, status: 'present', path });
      continue;
    }
    if (present !== undefined) log(`${recording.name}.zip: present with SHA-256 ${present}, not the manifest's: downloading again`);
    const url = new URL(recording.path, options.baseUrl).toString();
    try {
      await download(url, path, recording.sha256, options.timeoutMs ?? 600_000);
      log(`${recording.name}.zip: downloaded from ${url}, SHA-256 verified`);
      outcomes.push({ name: recording.name, status: 'downloaded', path });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      log(`${recording.name}.zip: FAILED: ${reason}`);
      outcomes.push({ name: recording.name, status: 'failed', reason });
    }
  }
  return outcomes;
}

async function download(url: string, path: string, sha256: string, timeoutMs: number): Promise<void> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  if (!response.ok || !response.body) throw new Error(`GET ${url}: HTTP ${response.status} ${response.statusText}`.trim());
  const partial = `${path}.part-${process.pid}`;
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), hashing, createWriteStream(partial));
    const got = hash.digest('hex');
    if (got !== sha256) throw new Error(`refused ${url}: its SHA-256 is ${got}, the manifest says ${sha256}`);
    await rename(partial, path);
  } finally {
    await rm(partial, { force: true });
  }
}
