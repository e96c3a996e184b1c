#!/usr/bin/env node
const USAGE = `usage: containment-watch <command>

commands:
  start     API and worker in one process (small installs)
  api       the HTTP API only
  worker    the job worker only
  backtest  replay exported telemetry through the detection (containment-watch backtest --help)
`;

const commands: Record<string, string> = {
  start: './all-in-one.js',
  api: './api.js',
  worker: './worker.js',
  backtest: '../backtest/main.js',
};
const command = process.argv[2];
const module = command ? commands[command] : undefined;
if (!module) {
  process.stderr.write(USAGE);
  process.exit(command === undefined || command === '--help' ? 0 : 2);
}
await import(module);
