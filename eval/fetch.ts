/**
 * npm run eval:fetch: downloads the OTRF Security-Datasets recordings the evaluation reads into the data folder
 * (`CW_EVAL_DATA`, default `eval/data/`) from their public source (`CW_EVAL_DATA_URL`, default the raw files of
 * github.com/OTRF/Security-Datasets) and checks each file's SHA-256 against `eval/recordings.ts`. Files already
 * there with the right hash are kept. Exit 1 when any file could not be fetched or had another hash.
 */
import { DATA_URL_SETTING, dataFolder } from './data-folder.js';
import { fetchRecordings } from './fetch-recordings.js';
import { DEFAULT_RECORDINGS_URL, RECORDINGS } from './recordings.js';

const configured = process.env[DATA_URL_SETTING]?.trim();
const baseUrl = configured ? (configured.endsWith('/') ? configured : `${configured}/`) : DEFAULT_RECORDINGS_URL;
const folder = dataFolder();
process.stdout.write(`fetching ${RECORDINGS.length} OTRF Security-Datasets recordings (MIT licence) from ${baseUrl} into ${folder}\n`);
const outcomes = await fetchRecordings({ baseUrl, folder, recordings: RECORDINGS, log: (line) => process.stdout.write(`  ${line}\n`) });
const failed = outcomes.filter((outcome) => outcome.status === 'failed');
if (failed.length > 0) {
  process.stderr.write(`${failed.length} of ${outcomes.length} recordings could not be fetched and verified\n`);
  process.exitCode = 1;
} else {
  process.stdout.write(`all ${outcomes.length} recordings are in ${folder}\n`);
}
