/**
 * The layers of src/, lowest first. A module may import from its own layer or a lower one, never a higher one:
 *
 *   0 contracts, lib           schemas and types; generic helpers (Redis, logging, failures, addresses)
 *   1 sources, detect          vendor connectors; scoring a connection
 *   2 config, stores, rules,   configuration; Redis stores and their scripts; pure decisions; baselines;
 *     baseline, report, queue  rendering; how jobs are put on queues
 *   3 watch                    the lifecycle services: open, baseline, poll, close, publish
 *   4 jobs, api, slack,        what runs the lifecycle: job processors, the HTTP API, Slack; the backtest
 *     backtest
 *   5 runtime                  the composition root
 *   6 bin                      entry points
 *
 * Development code (src/dev and every `dev/` folder: fakes, scenarios, demo, conformance harnesses) may import
 * anything; production code never imports it.
 */
const LAYERS = [
  ['contracts', 'lib'],
  ['sources', 'detect'],
  ['config', 'stores', 'rules', 'baseline', 'report', 'queue'],
  ['watch'],
  ['jobs', 'api', 'slack', 'backtest'],
  ['runtime'],
  ['bin'],
];

const DEV = '(^src/dev/|/dev/)';
const folders = (names) => `^src/(${names.join('|')})/`;

const upward = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `layer-${index}-imports-upward`,
  comment: `${layer.join(', ')} may not import from ${LAYERS.slice(index + 1).flat().join(', ')}`,
  severity: 'error',
  from: { path: folders(layer), pathNot: DEV },
  to: { path: folders(LAYERS.slice(index + 1).flat()), pathNot: DEV },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'a cycle between modules: split the shared part out',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...upward,
    {
      name: 'production-imports-dev',
      comment: 'production code never imports development code (fakes, scenarios, demo, harnesses)',
      severity: 'error',
      from: { path: '^src/', pathNot: DEV },
      to: { path: DEV },
    },
    {
      name: 'production-imports-tests',
      comment: 'src/ never imports test/, bench/, eval/ or chaos/',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|eval|chaos)/' },
    },
    {
      name: 'bench-imports-test-helpers',
      comment: 'benchmarks use src/ (and src/dev), not the test suite',
      severity: 'error',
      from: { path: '^bench/' },
      to: { path: '^test/' },
    },
    {
      name: 'unknown-folder',
      comment: 'every folder of src/ has a layer: add a new one to LAYERS',
      severity: 'error',
      from: { path: '^src/', pathNot: `${DEV}|${folders(LAYERS.flat())}` },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
