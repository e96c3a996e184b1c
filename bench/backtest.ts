/**
 * Backtest throughput and memory (issue 13): a Defender DeviceNetworkEvents export and a Sysmon log as JSON lines,
 * generated from the dev scenario over an estate of 300 hosts, of which the containment watches three. Speed is
 * compared with a bare read-and-JSON.parse pass over the same file, in the same run: on full records (the goal's
 * measure), on lines of only the fields the backtest reads (the worst case), and on the evaluation's OTRF recordings
 * when CW_EVAL_DATA holds them. Peak memory (max RSS of a process that runs one backtest) at 1 M and 6 M lines, which
 * only lengthen the export's history: the judged window stays the same, so a flat figure means memory does not grow
 * with the events read.
 * Runs alone with `npx tsx bench/backtest.ts`; CW_BENCH_SCALE (default 1) scales the line counts.
 */
import { isAscii } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { recordingPath, recordingsAbsentReason } from '../eval/data-folder.js';
import { RECORDINGS } from '../eval/recordings.js';
import { backtestCommand } from '../src/backtest/command.js';
import { openTextEntries } from '../src/backtest/input/open-text.js';
import { BLOCKED_C2, createScenario, type SimConnection, type SimHost, type SimProcess } from '../src/dev/scenario/index.js';

const print = (line: string) => process.stdout.write(`${line}\n`);
const HOUR = 3_600_000;
const REPLICAS = 100;
/** One line every 250 ms of telemetry (at scale 1): a million lines is about three days of the estate. */
const LINE_STEP_MS = 250;
const WINDOW = '12h';
const SPEED_GOAL = 0.5;
/**
 * The speed ratio is the median of this many pairs of passes, bare then backtest, over the same export. One pair on
 * this shared machine ranged from 0.28x to 0.54x for the same code on different days: a single pair says more about
 * the neighbours than about the backtest.
 */
const SPEED_PAIRS = 3;

type Vendor = 'defender' | 'sysmon';
/**
 * `full`: every column or field the product writes, as a real export holds them (the goal's measure: a bare parse
 * of a real export pays for all of them). `read-fields`: only the fields the backtest reads, the thinnest line a
 * reader can meet and so the backtest's worst ratio, printed beside it.
 */
type Shape = 'full' | 'read-fields';
const SHAPES: Record<Shape, string> = { full: 'full records', 'read-fields': 'only the fields read' };

interface ChildFigures {
  ms: number;
  lines: number;
  maxRssKb: number;
}

/** The estate's hosts: replica 0 is the scenario's own FIN-WS-041..043, the others are named on from there. */
function replicaHost(host: SimHost, replica: number, index: number): SimHost {
  const number = 41 + replica * 3 + index;
  const hostname = `FIN-WS-${String(number).padStart(3, '0')}`;
  const domain = host.fqdn.slice(host.fqdn.indexOf('.'));
  return { hostname, fqdn: `${hostname}${domain}`, ip: `10.20.${1 + Math.floor(number / 250)}.${number % 250}`, device_id: host.device_id.slice(0, 32) + number.toString(16).padStart(8, '0') };
}

const guidOf = (host: SimHost, process: SimProcess) => `{${host.device_id.slice(0, 8)}-${process.sha1.slice(0, 4)}-5f66-2210-${String(process.pid).padStart(12, '0')}}`;
const sysmonTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

function defenderLine(connection: SimConnection, host: SimHost, time: number, reportId: number, shape: Shape): string {
  const stamp = new Date(time).toISOString().replace('Z', '1234Z');
  const [domain, account] = connection.process.user.split('\\');
  const row = {
    Timestamp: stamp,
    DeviceId: host.device_id,
    DeviceName: host.fqdn.toLowerCase(),
    ActionType: connection.outcome === 'success' ? 'ConnectionSuccess' : 'ConnectionFailed',
    RemoteIP: connection.dst.ip,
    RemotePort: connection.dst.port,
    RemoteUrl: connection.dst.hostname ?? '',
    LocalIP: host.ip,
    LocalPort: 49_152 + (reportId % 16_000),
    Protocol: connection.protocol === 'tcp' ? 'Tcp' : 'Udp',
    LocalIPType: 'Private',
    RemoteIPType: connection.dst.ip.startsWith('10.') ? 'Private' : 'Public',
    InitiatingProcessFileName: connection.process.name,
    InitiatingProcessFolderPath: connection.process.path.toLowerCase(),
    InitiatingProcessCommandLine: connection.process.cmd_line,
    InitiatingProcessSHA1: connection.process.sha1,
    InitiatingProcessSHA256: '',
    InitiatingProcessId: connection.process.pid,
    InitiatingProcessParentFileName: connection.process.parent,
    InitiatingProcessCreationTime: new Date(connection.process.started_at ?? time - HOUR).toISOString(),
    InitiatingProcessAccountDomain: account === undefined ? '' : domain,
    InitiatingProcessAccountName: account ?? domain,
    ReportId: reportId,
  };
  return JSON.stringify(shape === 'full' ? { ...row, ...defenderOtherColumns(connection, host, time) } : row);
}

/**
 * The `DeviceNetworkEvents` columns the backtest does not read, as Defender fills them (the table's documented
 * schema): a real export carries them all, and a bare parse of it pays for them.
 */
function defenderOtherColumns(connection: SimConnection, host: SimHost, time: number) {
  const { process } = connection;
  const product = process.name.replace(/\.exe$/i, '');
  return {
    InitiatingProcessMD5: createHash('md5').update(process.sha1).digest('hex'),
    InitiatingProcessFileSize: 1_000_000 + (process.pid % 4_096) * 1_024,
    InitiatingProcessVersionInfoCompanyName: 'Microsoft Corporation',
    InitiatingProcessVersionInfoProductName: `Microsoft ${product}`,
    InitiatingProcessVersionInfoProductVersion: '10.0.22621.3527',
    InitiatingProcessVersionInfoInternalFileName: product,
    InitiatingProcessVersionInfoOriginalFileName: process.name,
    InitiatingProcessVersionInfoFileDescription: `${product} host process`,
    InitiatingProcessParentId: Math.max(4, process.pid - 412),
    InitiatingProcessParentCreationTime: new Date((process.started_at ?? time - HOUR) - 90_000).toISOString(),
    InitiatingProcessAccountSid: 'S-1-5-21-1004336348-1177238915-682003330-1105',
    InitiatingProcessAccountUpn: `${process.user.split('\\').pop()?.toLowerCase()}@corp.example`,
    InitiatingProcessAccountObjectId: '2f4a8c1e-7b3d-4e59-a1c6-9d8e7f6a5b4c',
    InitiatingProcessIntegrityLevel: 'Medium',
    InitiatingProcessTokenElevation: 'TokenElevationTypeLimited',
    InitiatingProcessSessionId: 1,
    IsInitiatingProcessRemoteSession: false,
    InitiatingProcessRemoteSessionDeviceName: '',
    InitiatingProcessRemoteSessionIP: '',
    AppGuardContainerId: '',
    AdditionalFields: host.ip.endsWith('.1') ? '{"direction":"Out"}' : '',
  };
}

function sysmonCommon(host: SimHost, time: number, record: number) {
  return {
    Channel: 'Microsoft-Windows-Sysmon/Operational',
    Hostname: host.fqdn,
    RecordNumber: record,
    UtcTime: sysmonTime(time),
    EventTime: sysmonTime(time - 4 * HOUR).slice(0, 19),
    EventReceivedTime: sysmonTime(time - 4 * HOUR + 1_000).slice(0, 19),
    '@timestamp': new Date(time + 600).toISOString(),
  };
}

/**
 * What NXLog's im_msvistalog adds to every Sysmon record, as the OTRF Security-Datasets recordings hold it: the
 * record's metadata and `Message`, the event rendered as text (`Field: value` lines).
 */
function nxlogFields(fields: Record<string, string>, header: string, task: number, category: string, host: SimHost, record: number) {
  const message = [header, ...Object.entries(fields).map(([name, value]) => `${name}: ${value}`)].join('\r\n');
  return {
    SourceName: 'Microsoft-Windows-Sysmon',
    ProviderGuid: '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}',
    Version: 5,
    Task: task,
    OpcodeValue: 0,
    Opcode: 'Info',
    Keywords: -9223372036854775808,
    EventType: 'INFO',
    Severity: 'INFO',
    SeverityValue: 2,
    Category: category,
    ExecutionProcessID: 3120,
    ThreadID: 4000 + (record % 900),
    Domain: 'NT AUTHORITY',
    AccountName: 'SYSTEM',
    AccountType: 'User',
    UserID: 'S-1-5-18',
    RuleName: '-',
    Message: message,
    SourceModuleName: 'eventlog',
    SourceModuleType: 'im_msvistalog',
    host: `wec-${host.hostname.slice(-1)}.corp.example`,
    port: 50_000 + (record % 10_000),
    tags: ['sysmon'],
    '@version': '1',
  };
}

function sysmonProcessLine(process: SimProcess, host: SimHost, time: number, record: number, shape: Shape): string {
  const line = {
    EventID: 1,
    ...sysmonCommon(host, time, record),
    ProcessGuid: guidOf(host, process),
    Image: process.path,
    CommandLine: process.cmd_line,
    ParentImage: process.parent_path ?? `C:\\Windows\\System32\\${process.parent}`,
    User: process.user,
    Hashes: `SHA1=${process.sha1.toUpperCase()},MD5=4E481FD8FB0F3BDEE93ABF6D3C614EB7`,
  };
  if (shape === 'read-fields') return JSON.stringify(line);
  const other = {
    ProcessId: String(process.pid),
    FileVersion: '10.0.22621.3527 (WinBuild.160101.0800)',
    Description: process.name,
    Product: 'Microsoft® Windows® Operating System',
    Company: 'Microsoft Corporation',
    OriginalFileName: process.name,
    CurrentDirectory: 'C:\\Windows\\system32\\',
    LogonGuid: '{695ab687-f091-5f66-e7c3-0b0000000000}',
    LogonId: '0xbc3e7',
    TerminalSessionId: '1',
    IntegrityLevel: 'Medium',
    ParentProcessGuid: '{695ab687-f091-5f66-2210-000000000400}',
    ParentProcessId: String(Math.max(4, process.pid - 412)),
    ParentCommandLine: line.ParentImage,
    ParentUser: process.user,
  };
  const shown = { UtcTime: line.UtcTime, ProcessGuid: line.ProcessGuid, ProcessId: other.ProcessId, Image: line.Image, CommandLine: line.CommandLine, User: line.User, Hashes: line.Hashes, ParentImage: line.ParentImage };
  return JSON.stringify({ ...line, ...other, ...nxlogFields(shown, 'Process Create:', 1, 'Process Create (rule: ProcessCreate)', host, record) });
}

function sysmonConnectionLine(connection: SimConnection, host: SimHost, time: number, record: number, shape: Shape): string {
  const line = {
    EventID: 3,
    ...sysmonCommon(host, time, record),
    ProcessGuid: guidOf(host, connection.process),
    Image: connection.process.path,
    User: connection.process.user,
    Protocol: connection.protocol,
    Initiated: 'true',
    SourceIp: host.ip,
    SourcePort: String(49_152 + (record % 16_000)),
    DestinationIp: connection.dst.ip,
    DestinationHostname: connection.dst.hostname ?? '-',
    DestinationPort: String(connection.dst.port),
  };
  if (shape === 'read-fields') return JSON.stringify(line);
  const other = {
    ProcessId: String(connection.process.pid),
    SourceIsIpv6: 'false',
    SourceHostname: '-',
    SourcePortName: '-',
    DestinationIsIpv6: 'false',
    DestinationPortName: connection.dst.port === 443 ? 'https' : '-',
  };
  const shown = {
    UtcTime: line.UtcTime,
    ProcessGuid: line.ProcessGuid,
    ProcessId: other.ProcessId,
    Image: line.Image,
    User: line.User,
    Protocol: line.Protocol,
    Initiated: line.Initiated,
    SourceIp: line.SourceIp,
    SourcePort: line.SourcePort,
    DestinationIp: line.DestinationIp,
    DestinationHostname: line.DestinationHostname,
    DestinationPort: line.DestinationPort,
  };
  return JSON.stringify({ ...line, ...other, ...nxlogFields(shown, 'Network connection detected:', 3, 'Network connection detected (rule: NetworkConnect)', host, record) });
}

/**
 * `lines` lines ending at `end`, one every `stepMs`, cycling through an hour of the scenario's connections on
 * every replica of its hosts. Sysmon logs each process's creation (Event ID 1) before its first connection.
 */
export async function writeExport(path: string, vendor: Vendor, lines: number, end: number, stepMs: number, shape: Shape): Promise<void> {
  const scenario = createScenario('fallback', { blockedAt: new Date(end - 12 * HOUR), fallbackAfterMs: 60_000 });
  const template = scenario.connections(new Date(end - 12 * HOUR - HOUR / 2), new Date(end - 12 * HOUR + HOUR / 2));
  const hostIndex = new Map(scenario.hosts.map((host, index) => [host.hostname, index]));
  const started = new Set<string>();
  const out = createWriteStream(path);
  const start = end - lines * stepMs;
  let buffer: string[] = [];
  for (let line = 0; line < lines; line += 1) {
    const replica = line % REPLICAS;
    const connection = template[Math.floor(line / REPLICAS) % template.length]!;
    const host = replicaHost(connection.host, replica, hostIndex.get(connection.host.hostname) ?? 0);
    const time = start + line * stepMs;
    const processKey = `${host.hostname}|${connection.process.path}|${connection.process.pid}`;
    if (vendor === 'defender') buffer.push(defenderLine(connection, host, time, line, shape));
    else if (started.has(processKey)) buffer.push(sysmonConnectionLine(connection, host, time, line, shape));
    else {
      started.add(processKey);
      buffer.push(sysmonProcessLine(connection.process, host, time, line, shape));
    }
    if (buffer.length === 10_000) {
      if (!out.write(`${buffer.join('\n')}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      buffer = [];
    }
  }
  out.write(buffer.length > 0 ? `${buffer.join('\n')}\n` : '');
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

/**
 * The reference: the file read as UTF-8 text, split at line breaks, every line JSON.parsed. It decodes as fast as
 * the backtest does (a chunk of plain ASCII copied as Latin-1, any other through `TextDecoder`, several times faster
 * than a stream's own UTF-8 decoding on Node 20), and line breaks are searched in each chunk as read (a chunk joined
 * to the previous one's leftover is several times slower to search in V8): the reference is the fastest plain pass,
 * not one the backtest can beat by reading more cleverly.
 */
async function bareParse(path: string): Promise<number> {
  let lines = 0;
  let pending = '';
  const parse = (line: string) => {
    if (line === '') return;
    JSON.parse(line);
    lines += 1;
  };
  const utf8 = new TextDecoder();
  for await (const bytes of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const data = bytes as Buffer;
    const text = isAscii(data) ? utf8.decode() + data.toString('latin1') : utf8.decode(data, { stream: true });
    let end = text.indexOf('\n');
    if (end === -1) {
      pending += text;
      continue;
    }
    parse(pending + text.slice(0, end));
    let start = end + 1;
    for (end = text.indexOf('\n', start); end !== -1; end = text.indexOf('\n', start)) {
      parse(text.slice(start, end));
      start = end + 1;
    }
    pending = text.slice(start);
  }
  parse(pending + utf8.decode());
  return lines;
}

/** In the child: one pass, timed, then the process's peak memory. */
async function child(mode: string, path: string, containment: string, out: string): Promise<void> {
  const start = performance.now();
  let lines = 0;
  if (mode === 'bare') lines = await bareParse(path);
  else {
    const sink = { write: () => true } as unknown as NodeJS.WritableStream;
    const status = await backtestCommand(['--containment', containment, '--events', path, '--out', out], { stdout: sink, stderr: process.stderr, env: {} });
    if (status !== 0) throw new Error(`backtest exited ${status}`);
  }
  const ms = performance.now() - start;
  const figures: ChildFigures = { ms, lines, maxRssKb: process.resourceUsage().maxRSS };
  process.stdout.write(JSON.stringify(figures));
}

/** The child's figures, or why it failed (a backtest that runs out of memory fails). */
function runChild(mode: 'bare' | 'backtest', path: string, containment: string, out: string): ChildFigures | string {
  try {
    const output = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', mode, path, containment, out], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return JSON.parse(output) as ChildFigures;
  } catch (error) {
    const { status, signal, stderr } = error as { status: number | null; signal: string | null; stderr?: string };
    const last = (stderr ?? '').trim().split('\n').find((line) => /heap out of memory|Error/.test(line));
    return `failed (${signal ?? `exit ${status}`}${last ? `: ${last.trim()}` : ''})`;
  }
}

interface ReportSummary {
  verdict?: string;
  findings: unknown[];
}

const rateOf = (lines: number, ms: number) => (lines / ms) * 1000;

/** The backtest's speed against a bare parse of the same export: the median of `SPEED_PAIRS` pairs, each pair's ratio printed. */
function speedLine(label: string, lineCount: number, path: string, containment: string, report: string, worstCase = false): string {
  const pairs: { bare: number; backtest: number; ratio: number }[] = [];
  for (let pair = 0; pair < SPEED_PAIRS; pair += 1) {
    const bare = runChild('bare', path, containment, report);
    const backtest = runChild('backtest', path, containment, report);
    if (typeof bare === 'string') return `  ${label}: bare pass ${bare}`;
    if (typeof backtest === 'string') return `  ${label}: backtest ${backtest}`;
    const bareRate = rateOf(bare.lines, bare.ms);
    const backtestRate = rateOf(bare.lines, backtest.ms);
    pairs.push({ bare: bareRate, backtest: backtestRate, ratio: backtestRate / bareRate });
  }
  const median = [...pairs].sort((a, b) => a.ratio - b.ratio)[Math.floor(pairs.length / 2)]!;
  const { verdict, findings } = JSON.parse(readFileSync(report, 'utf8')) as ReportSummary;
  return [
    `  ${label}, ${lineCount.toLocaleString('en')} lines (${(statSync(path).size / 1e6).toFixed(0)} MB), median of ${pairs.length} pairs: bare JSON.parse pass ${Math.round(median.bare).toLocaleString('en')} lines/s, backtest ${Math.round(median.backtest).toLocaleString('en')} lines/s`,
    `    ratio ${median.ratio.toFixed(2)}x (pairs ${pairs.map(({ ratio }) => ratio.toFixed(2)).join(', ')}) against the goal of >= ${SPEED_GOAL}x, ${median.ratio >= SPEED_GOAL ? 'met' : 'NOT met'}${worstCase ? ' (the worst case, not the goal\'s measure)' : ''} (verdict ${verdict}, ${findings.length} findings)`,
  ].join('\n');
}
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

/**
 * The evaluation's OTRF recordings (real Sysmon and Security logs as NXLog wrote them, of every event kind) as one
 * plain JSON-lines file, so that the bare pass and the backtest read the same text without inflating it; a reason
 * when the data folder does not hold them.
 */
async function recordingsExport(dir: string): Promise<{ path: string; lines: number } | string> {
  const absent = recordingsAbsentReason();
  if (absent !== undefined) return absent;
  const path = join(dir, 'otrf-recordings.jsonl');
  const out = createWriteStream(path);
  let lines = 0;
  for (const { name } of RECORDINGS) {
    for await (const entry of openTextEntries(recordingPath(name))) {
      let last = '';
      for await (const chunk of entry.chunks) {
        for (let at = chunk.indexOf('\n'); at !== -1; at = chunk.indexOf('\n', at + 1)) lines += 1;
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
        if (chunk.length > 0) last = chunk;
      }
      if (!last.endsWith('\n')) {
        out.write('\n');
        lines += 1;
      }
    }
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return { path, lines };
}

/** The speed on the real recordings, with the evaluation's example containment (a lab host of the recordings). */
async function recordingsSpeedLine(dir: string): Promise<string> {
  const exported = await recordingsExport(dir);
  if (typeof exported === 'string') return `  real recordings: skipped, ${exported}`;
  const containment = fileURLToPath(new URL('../eval/examples/covenant-installutil.request.json', import.meta.url));
  const line = speedLine('recordings', exported.lines, exported.path, containment, join(dir, 'otrf.report.json'));
  rmSync(exported.path);
  return line;
}

export async function benchBacktest(): Promise<void> {
  const scale = Number(process.env.CW_BENCH_SCALE ?? '1');
  const small = Math.max(10_000, Math.round(1_000_000 * scale));
  const large = small * 6;
  const dir = mkdtempSync(join(tmpdir(), 'cw-bench-backtest-'));
  const end = Date.parse('2026-03-10T12:00:00Z');
  const containment = join(dir, 'request.json');
  writeFileSync(
    containment,
    JSON.stringify({
      incident_id: 'INC-BENCH-BACKTEST',
      blocked: [{ type: 'ip', value: BLOCKED_C2.ip }],
      hosts: [{ hostname: 'FIN-WS-041' }, { hostname: 'FIN-WS-042' }, { hostname: 'FIN-WS-043' }],
      blocked_at: new Date(end - 12 * HOUR).toISOString(),
      watch: { duration: WINDOW, baseline: '7d' },
    }),
  );
  print(`backtest: ${small.toLocaleString('en')}- and ${large.toLocaleString('en')}-line exports of ${REPLICAS * 3} hosts, 3 watched, a ${WINDOW} window after the block (CW_BENCH_SCALE=${scale})`);
  try {
    for (const vendor of ['defender', 'sysmon'] as const) {
      const fullPath = join(dir, `${vendor}-full.jsonl`);
      await writeExport(fullPath, vendor, small, end, LINE_STEP_MS / scale, 'full');
      print(speedLine(`${vendor}, ${SHAPES.full}`, small, fullPath, containment, join(dir, `${vendor}-full.report.json`)));
      rmSync(fullPath);
      const rss = new Map<number, ChildFigures | string>();
      for (const lines of [small, large]) {
        const path = join(dir, `${vendor}-${lines}.jsonl`);
        await writeExport(path, vendor, lines, end, LINE_STEP_MS / scale, 'read-fields');
        const report = join(dir, `${vendor}-${lines}.report.json`);
        if (lines === small) print(speedLine(`${vendor}, ${SHAPES['read-fields']}`, lines, path, containment, report, true));
        rss.set(lines, runChild('backtest', path, containment, report));
        rmSync(path);
      }
      const figures = [small, large].map((lines) => {
        const run = rss.get(lines);
        return typeof run === 'object' ? `${mb(run.maxRssKb)} at ${lines.toLocaleString('en')} lines` : `${run} at ${lines.toLocaleString('en')} lines`;
      });
      const [smallRun, largeRun] = [rss.get(small), rss.get(large)];
      const ratio = typeof smallRun === 'object' && typeof largeRun === 'object' ? `; ratio ${(largeRun.maxRssKb / smallRun.maxRssKb).toFixed(2)}x (flat is about 1x)` : '';
      print(`  ${vendor} peak memory (max RSS of the backtest's process): ${figures.join(', ')}${ratio}`);
    }
    print(await recordingsSpeedLine(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  const [mode = '', path = '', containment = '', out = ''] = process.argv.slice(3);
  await child(mode, path, containment, out);
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await benchBacktest();
}
