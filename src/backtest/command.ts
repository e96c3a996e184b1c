import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadBacktestConfig } from './backtest-config.js';
import { readContainmentRequest } from './containment-file.js';
import { cutOffWarning } from './input/cut-off.js';
import type { EntryStats } from './input/read-entry.js';
import { readTelemetryBatches } from './input/read-file.js';
import { InputError } from './input-error.js';
import { SysmonProcesses } from './readers/sysmon-processes.js';
import { backtestMarkdown, backtestReport, type InputFileSummary } from './report.js';
import { runBacktest, type BacktestInput } from './run-backtest.js';

export const BACKTEST_USAGE = `usage: containment-watch backtest --containment request.json --events export.jsonl [--events more.zip ...]
                                [--baseline older.jsonl ...] [--config containment-watch.yaml]
                                [--format json|md] [--out report.json]

Replays exported telemetry through the watch's detection: events before blocked_at are the baseline, events from
blocked_at to the end of the window are judged. Reads, by content, .zip and .gz included:
  ConnectionEvent JSON lines; Sysmon (Event ID 3 and 1) and Security (WFP 5156/5157) events as JSON lines in
  NXLog/Logstash, winlogbeat/ECS or Splunk export shape; Defender for Endpoint DeviceNetworkEvents (JSON or CSV
  export); Zeek conn.log as TSV or JSON lines, in Zeek's own names, the flattened names of RockNSM/HELK/OTRF
  pipelines (id_orig_h, @stream) or the ECS names of Elastic's and Security Onion's Zeek pipelines.
A file cut off at its end (a live log copied mid-write, a partial .gz or .zip) is read up to the cut, with a
warning on stderr and the loss in the report's input entries (cut_off).
Exit status: 0 whatever the verdict; 2 when an input, the request or the configuration cannot be used (an input
cut off before anything in it could be read included).
`;

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** `containment-watch backtest ...`; resolves to the exit status. */
export async function backtestCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        containment: { type: 'string' },
        events: { type: 'string', multiple: true },
        baseline: { type: 'string', multiple: true },
        config: { type: 'string' },
        format: { type: 'string', default: 'json' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.stderr.write(`containment-watch backtest: ${(error as Error).message}\n\n${BACKTEST_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(BACKTEST_USAGE);
    return 0;
  }
  const problem =
    values.containment === undefined
      ? '--containment is required'
      : (values.events ?? []).length === 0
        ? 'at least one --events file is required'
        : values.format !== 'json' && values.format !== 'md'
          ? `--format must be json or md, not "${values.format}"`
          : undefined;
  if (problem !== undefined || values.containment === undefined) {
    io.stderr.write(`containment-watch backtest: ${problem ?? '--containment is required'}\n\n${BACKTEST_USAGE}`);
    return 2;
  }

  try {
    const request = await readContainmentRequest(values.containment);
    const { detection, defaults } = loadBacktestConfig(values.config, io.env);
    const processes = new SysmonProcesses();
    const files: InputFileSummary[] = [];
    const inputs: BacktestInput[] = [
      ...(values.baseline ?? []).map((path) => ({ path, role: 'baseline' as const })),
      ...(values.events ?? []).map((path) => ({ path, role: 'events' as const })),
    ].map(({ path, role }) => {
      const entries: EntryStats[] = [];
      files.push({ path, role, entries });
      return { name: path, role, read: (sightingsBefore: number) => readTelemetryBatches(path, { processes, sightingsBefore }, entries) };
    });
    const result = await runBacktest({ request, detection, defaults, inputs });
    for (const entry of files.flatMap((file) => file.entries)) {
      if (entry.cut_off) io.stderr.write(`containment-watch backtest: warning: ${cutOffWarning(entry.entry, entry.records, entry.cut_off)}\n`);
    }
    const report = backtestReport(result, files);
    const text = values.format === 'md' ? backtestMarkdown(report) : `${JSON.stringify(report, null, 2)}\n`;
    if (values.out === undefined) io.stdout.write(text);
    else await writeFile(values.out, text);
    return 0;
  } catch (error) {
    if (error instanceof InputError) {
      io.stderr.write(`containment-watch backtest: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
