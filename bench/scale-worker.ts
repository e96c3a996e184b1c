/**
 * One more worker for the scale bench, in a process of its own (forked by bench/scale-scenario.ts) so that three
 * workers share the polls as three deployed ones would. Started from the same YAML and prefix; stops when the bench
 * disconnects.
 */
import { Writable } from 'node:stream';
import { testConfig } from '../src/dev/throwaway-config.js';
import { silentLogger } from '../src/lib/logger.js';
import { startWorker } from '../src/runtime/services.js';

export type ScaleWorkerReply = { type: 'ready'; id: string };

const { prefix, yaml } = JSON.parse(process.argv[2] ?? '{}') as { prefix: string; yaml: string };
const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
const worker = await startWorker(testConfig({ prefix, yaml }), silentLogger(), { reporterOut: discard });
process.on('disconnect', () => void worker.close().then(() => process.exit(0)));
process.send?.({ type: 'ready', id: worker.id } satisfies ScaleWorkerReply);
