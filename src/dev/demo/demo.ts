import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { parseDuration } from '../../contracts/duration.js';
import { RedisUnavailableError } from './local-redis.js';
import { loadVendorDevKits } from '../vendors.js';
import { runDemo } from './run-demo.js';

const DEMO_SOURCES = (await loadVendorDevKits()).map((kit) => kit.demoSource);

const USAGE = `usage: npm run demo -- [--scenario fallback|benign] [--source ${DEMO_SOURCES.map((source) => source.type).join('|')}] [--duration 2m] [--poll 3s] [--request file.json] [--verbose]`;

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'fallback' },
    source: { type: 'string', default: 'mde' },
    duration: { type: 'string', default: '2m' },
    poll: { type: 'string', default: '3s' },
    request: { type: 'string', default: fileURLToPath(new URL('../../../workflows/generic/containment-request.json', import.meta.url)) },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

const durationMs = parseDuration(values.duration);
const pollIntervalMs = parseDuration(values.poll);
const source = DEMO_SOURCES.find((candidate) => candidate.type === values.source);
if (values.help || (values.scenario !== 'fallback' && values.scenario !== 'benign') || !source || !durationMs || !pollIntervalMs) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(values.help ? 0 : 2);
}

try {
  const verdict = await runDemo({
    scenario: values.scenario,
    source,
    durationMs,
    pollIntervalMs,
    requestFile: values.request,
    out: process.stdout,
    verbose: values.verbose,
  });
  process.stdout.write(`\nverdict: ${verdict}\n`);
  process.exit(0);
} catch (error) {
  if (error instanceof RedisUnavailableError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`demo failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
}
