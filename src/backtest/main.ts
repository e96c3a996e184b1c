import { backtestCommand } from './command.js';

/** Entry of `containment-watch backtest`, loaded by bin/cli.ts. */
process.exitCode = await backtestCommand(process.argv.slice(3), { stdout: process.stdout, stderr: process.stderr, env: process.env });
