import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { backtestCommand } from '../../src/backtest/command.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-command-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const code = await backtestCommand(args, { stdout, stderr, env });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

const request = {
  incident_id: 'INC-2041',
  blocked: [{ type: 'ip', value: '203.0.113.7' }],
  blocked_at: '2026-11-27T10:00:00Z',
  hosts: [{ hostname: 'FIN-WS-042', ip: '10.20.1.42' }],
  watch: { duration: '10m' },
};
const event = (id: string, minutes: number, ip = '203.0.113.7') =>
  JSON.stringify({
    id,
    source: 'mde-prod',
    time: Date.parse('2026-11-27T10:00:00Z') + minutes * 60_000,
    device: { hostname: 'FIN-WS-042' },
    process: { name: 'rundll32.exe', path: 'C:\\Windows\\System32\\rundll32.exe' },
    dst_endpoint: { ip, port: 443 },
    protocol: 'tcp',
    direction: 'outbound',
    outcome: 'failure',
  });
const events = file('events.jsonl', [event('a', -5, '198.51.100.1'), event('b', 1), event('c', 11)].join('\n'));
const containment = file('request.json', JSON.stringify(request));

describe('containment-watch backtest: exit status and messages', () => {
  it('writes the JSON report and exits 0 whatever the verdict', async () => {
    const { code, stdout } = await run(['--containment', containment, '--events', events]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { verdict: string; findings: { kind: string[]; count: number }[]; watch: { sources: string[] } };
    // Every retry failed and the export reaches past the window: the block held.
    expect(report.verdict).toBe('held');
    expect(report.findings).toEqual([expect.objectContaining({ kind: ['blocked_retry'], count: 1 })]);
    expect(report.watch.sources).toEqual(['mde-prod']);
  });

  it('writes Markdown to --out', async () => {
    const out = join(dir, 'report.md');
    const { code, stdout } = await run(['--containment', containment, '--events', events, '--format', 'md', '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    const markdown = readFileSync(out, 'utf8');
    expect(markdown).toMatch(/^# Containment watch INC-2041/);
    expect(markdown).toContain('## Backtest inputs');
  });

  it('names the file and line of unreadable telemetry, and exits 2', async () => {
    const broken = file('broken.jsonl', `${event('a', 1)}\n${event('b', 2).slice(0, 30)}\n`);
    const { code, stderr } = await run(['--containment', containment, '--events', events, '--events', broken]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/broken\.jsonl line 2: not valid JSON/);
  });

  it('reads telemetry cut off at its end up to the cut: a warning on stderr and in the report, exit 0', async () => {
    const lines = Array.from({ length: 300 }, (_, i) => event(`w${i}`, 1 + (i % 8)));
    const gz = gzipSync(`${lines.join('\n')}\n`);
    const cut = join(dir, 'cut.jsonl.gz');
    writeFileSync(cut, gz.subarray(0, gz.length >> 1));
    const { code, stdout, stderr } = await run(['--containment', containment, '--events', events, '--events', cut]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/^containment-watch backtest: warning: .*cut\.jsonl\.gz: the gzip stream ends early \(the file is cut off\); \d+ records before the cut were read; the partial record at line \d+ \(\d+ bytes\) was not read\n$/);
    const report = JSON.parse(stdout) as { backtest: { inputs: { file: string; entries: { records: number; cut_off?: { reason: string; line: number } }[] }[] } };
    const entry = report.backtest.inputs.find((input) => input.file === cut)?.entries[0];
    expect(entry?.cut_off).toMatchObject({ reason: 'the gzip stream ends early (the file is cut off)', line: (entry?.records ?? 0) + 1 });
  });

  it('refuses telemetry cut off before anything in it could be read, naming the file and line, exit 2', async () => {
    const cut = file('cut-first.jsonl', event('a', 1).slice(0, 50));
    const { code, stderr } = await run(['--containment', containment, '--events', events, '--events', cut]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/cut-first\.jsonl line 1: not valid JSON/);
  });

  it('names the fields of a bad containment request as the webhook does, blocked_at included', async () => {
    const bad = file('bad-request.json', JSON.stringify({ ...request, blocked_at: undefined, hosts: [{ ip: 'not-an-ip' }], extra: 1 }));
    const { code, stderr } = await run(['--containment', bad, '--events', events]);
    expect(code).toBe(2);
    expect(stderr).toContain('bad-request.json: invalid containment request:');
    expect(stderr).toMatch(/hosts\.0\.ip: must be an IPv4 or IPv6 address/);
    expect(stderr).toContain('extra: unknown field');

    const noTime = file('no-time.json', JSON.stringify({ ...request, blocked_at: undefined }));
    expect((await run(['--containment', noTime, '--events', events])).stderr).toMatch(/blocked_at: is required for a backtest/);

    const notJson = file('not-json.json', '{"incident_id": ');
    expect((await run(['--containment', notJson, '--events', events])).stderr).toMatch(/not-json\.json: the containment request is not valid JSON/);
  });

  it('names the configuration problem of a bad --config', async () => {
    const config = file('bad.yaml', 'networks:\n  internal: [not-a-cidr]\n');
    const { code, stderr } = await run(['--containment', containment, '--events', events, '--config', config]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/bad\.yaml: networks\.internal\.0: /);
  });

  it("takes the window from --config defaults when the request sets none: telemetry that ends early is inconclusive", async () => {
    const config = file('lab.yaml', 'defaults:\n  duration: 20m\nnetworks:\n  internal: [10.0.0.0/8]\n');
    const noWindow = file('no-window.json', JSON.stringify({ ...request, watch: undefined }));
    const { code, stdout } = await run(['--containment', noWindow, '--events', events, '--config', config]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { verdict: string; watch: { expires_at: string } };
    expect(report).toMatchObject({ verdict: 'inconclusive', watch: { expires_at: '2026-11-27T10:20:00.000Z' } });
  });

  it('explains its usage on missing or unknown options, exit 2; --help exits 0', async () => {
    expect(await run(['--events', events])).toMatchObject({ code: 2, stderr: expect.stringContaining('--containment is required') });
    expect(await run(['--containment', containment])).toMatchObject({ code: 2, stderr: expect.stringContaining('at least one --events file') });
    const base = ['--containment', containment, '--events', events];
    expect(await run([...base, '--format', 'pdf'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--format must be json or md') });
    expect(await run([...base, '--bogus'])).toMatchObject({ code: 2, stderr: expect.stringContaining("Unknown option '--bogus'") });
    expect(await run(['--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('usage: containment-watch backtest') });
  });
});
