import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { writeTelemetry } from '../../eval/formats/write.js';
import { recordingPath, recordingsAbsentReason } from '../../eval/data-folder.js';
import { SYNTHETIC_SCENARIOS } from '../../eval/scenarios/synthetic.js';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'cw-cli-'));
const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real CLI, as a user runs it. */
async function cli(...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await exec('npx', ['tsx', 'src/bin/cli.ts', 'backtest', ...args], { maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

interface Report {
  verdict: string;
  verdict_reasons: string[];
  findings: { kind: string[]; host: string; process: { name: string }; dst: { ip?: string; port?: number }; count: number }[];
  coverage: { source: string; hosts_seen: string[] }[];
  backtest: { inputs: { entries: { format: string; events: number }[] }[] };
}

// The OTRF recordings are third-party data kept out of the repository (`npm run eval:fetch`, `CW_EVAL_DATA`).
const recordingsAbsent = recordingsAbsentReason([
  'covenant_installutil',
  'covenant_wmi_remote_event_subscription_ActiveScriptEventConsumers',
  'empire_dllinjection_LoadLibrary_CreateRemoteThread',
]);
if (recordingsAbsent) console.warn(`skipping the backtest CLI replay of an OTRF recording: ${recordingsAbsent}`);

describe('containment-watch backtest, run as a command', () => {
  it.skipIf(recordingsAbsent !== undefined)('replays an OTRF recording straight from its zip: the C2 call after the block is found, the lab traffic is not', async () => {
    const request = fileURLToPath(new URL('../../eval/examples/covenant-installutil.request.json', import.meta.url));
    const config = fileURLToPath(new URL('../../eval/examples/otrf-lab.yaml', import.meta.url));
    const { code, stdout, stderr } = await cli(
      ...['--containment', request, '--events', recordingPath('covenant_installutil')],
      ...['--baseline', recordingPath('covenant_wmi_remote_event_subscription_ActiveScriptEventConsumers')],
      ...['--baseline', recordingPath('empire_dllinjection_LoadLibrary_CreateRemoteThread'), '--config', config],
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Report;
    // The implant still calls the blocked C2, Sysmon does not say it got through, and no other channel opened.
    expect(report.verdict).toBe('held');
    expect(report.verdict_reasons.join(' ')).toContain('the implant is still trying the blocked address from WORKSTATION5');
    expect(report.findings).toEqual([
      expect.objectContaining({
        kind: ['blocked_retry'],
        host: 'WORKSTATION5',
        process: expect.objectContaining({ name: 'InstallUtil.exe' }),
        dst: { ip: '10.10.10.5', port: 80 },
        count: 1,
      }),
    ]);
    expect(report.coverage.map((source) => [source.source, source.hosts_seen])).toEqual([
      ['sysmon', ['WORKSTATION5', 'WORKSTATION6']],
      ['wfp', ['WORKSTATION5', 'WORKSTATION6']],
    ]);
    expect(report.backtest.inputs[0]?.entries[0]).toMatchObject({ format: 'windows-events (JSON lines)' });
  });

  it('writes the Markdown evidence report of a generated Defender CSV export to --out', async () => {
    const scenario = SYNTHETIC_SCENARIOS.find((candidate) => candidate.name === 'https-8443-renamed-binary');
    const telemetry = scenario?.telemetry()[0];
    if (!scenario || !telemetry || 'path' in telemetry) throw new Error('the 8443 scenario generates its telemetry');
    const csv = join(dir, 'office.csv');
    await writeTelemetry(csv, 'mde-csv', telemetry.events());
    const request = write('8443.json', JSON.stringify(scenario.request));
    const out = join(dir, 'report.md');
    const { code, stdout } = await cli('--containment', request, '--events', csv, '--format', 'md', '--out', out);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    const markdown = readFileSync(out, 'utf8');
    expect(markdown).toContain('**Verdict: breached**');
    const fallbackRow = /\| high \| [^|]*quiet_process[^|]* \| WS-0007 \| c:\\\\users\\\\public\\\\libraries\\\\onedrivestandaloneupdate\.exe \| 192\.0\.2\.44:8443\/tcp \|/;
    expect(markdown).toMatch(fallbackRow);
    expect(markdown).toContain('mde-network-events (CSV)');
  });

  it('exits 2 and names the file and line it cannot read', async () => {
    const body = { incident_id: 'I', blocked: [{ type: 'ip', value: '203.0.113.7' }], blocked_at: '2026-01-01T00:00:00Z', hosts: [{ ip: '10.0.0.1' }] };
    const request = write('r.json', JSON.stringify(body));
    const broken = write(
      'broken.csv',
      ['Timestamp,DeviceName,ActionType,RemoteIP', '2026-01-01T00:00:01Z,ws1,ConnectionSuccess,192.0.2.1', 'last tuesday,ws1,ConnectionSuccess,192.0.2.1', ''].join('\n'),
    );
    const { code, stdout, stderr } = await cli('--containment', request, '--events', broken);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/broken\.csv line 3: Timestamp: not an ISO 8601 date-time nor one as the portal shows it, .* \("last tuesday"\)/);
  });
});
