import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RECORDINGS, type RecordingName } from './recordings.js';

/** The setting naming the folder that holds the recordings; relative paths are taken from the working directory. */
export const DATA_SETTING = 'CW_EVAL_DATA';
/** The setting overriding where `npm run eval:fetch` downloads from (a mirror, or a loopback server in tests). */
export const DATA_URL_SETTING = 'CW_EVAL_DATA_URL';

/** The git-ignored default: `eval/data/` of this checkout. */
export const DEFAULT_DATA_FOLDER = fileURLToPath(new URL('./data/', import.meta.url));

/** The data folder: `CW_EVAL_DATA` when set and not empty, else `eval/data/`. */
export function dataFolder(env: NodeJS.ProcessEnv = process.env): string {
  const setting = env[DATA_SETTING]?.trim();
  return setting ? resolve(setting) : DEFAULT_DATA_FOLDER;
}

/** Where a recording is read from. */
export function recordingPath(name: RecordingName, env: NodeJS.ProcessEnv = process.env): string {
  return join(dataFolder(env), `${name}.zip`);
}

/** The recordings (of `names`, default all) that are not in the data folder. */
export function missingRecordings(names: readonly RecordingName[] = RECORDINGS.map((recording) => recording.name), env = process.env): RecordingName[] {
  return names.filter((name) => !existsSync(recordingPath(name, env)));
}

/**
 * Why the recordings cannot be read, naming the folder, the setting and the fetch command; undefined when every one
 * of `names` is there.
 */
export function recordingsAbsentReason(names?: readonly RecordingName[], env = process.env): string | undefined {
  const missing = missingRecordings(names, env);
  if (missing.length === 0) return undefined;
  const listed = missing.length > 3 ? `${missing.slice(0, 3).join(', ')} and ${missing.length - 3} more` : missing.join(', ');
  return (
    `${missing.length} OTRF recording(s) missing from ${dataFolder(env)} (${listed}): ` +
    `run \`npm run eval:fetch\` to download them, or set ${DATA_SETTING} to a folder that holds them`
  );
}
