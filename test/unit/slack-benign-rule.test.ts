import { describe, expect, it } from 'vitest';
import { FindingSchema, type Finding } from '../../src/contracts/finding.js';
import { benignRule } from '../../src/slack/actions/benign-rule.js';

const finding = (overrides: Partial<Finding> = {}): Finding =>
  FindingSchema.parse({
    id: 'f1',
    watch_id: 'w1',
    host: 'FIN-WS-042',
    process: { name: 'rundll32.exe', path: 'C:\\Windows\\System32\\rundll32.exe' },
    dst: { ip: '192.0.2.44', port: 8443 },
    protocol: 'tcp',
    kind: ['quiet_process'],
    severity: 'high',
    score: 80,
    reasons: [],
    connected: true,
    first_seen: '2026-11-27T10:02:00Z',
    last_seen: '2026-11-27T10:02:00Z',
    count: 1,
    sources: ['mde-prod'],
    status: 'open',
    ...overrides,
  });

describe('the allow-rule "Mark benign" creates', () => {
  it('names the process by path, the destination address, port and protocol, limited to the incident', () => {
    const rule = benignRule(finding(), { scope: 'incident', incidentId: 'INC-2041', reason: 'red team' });
    expect(rule).toMatchObject({
      reason: 'red team',
      process_path: 'C:\\Windows\\System32\\rundll32.exe',
      dst_cidr: '192.0.2.44/32',
      port: 8443,
      protocol: 'tcp',
      incident_id: 'INC-2041',
    });
    expect(rule?.process_name).toBeUndefined();
  });

  it('covers every watch when marked everywhere, and keeps the same id whoever marks the same traffic and why', () => {
    const everywhere = benignRule(finding(), { scope: 'everywhere', incidentId: 'INC-2041', reason: 'backup agent' });
    expect(everywhere?.incident_id).toBeUndefined();
    const again = benignRule(finding({ id: 'f2', watch_id: 'w2' }), { scope: 'everywhere', incidentId: 'INC-9', reason: 'other words', expires: '2027-01-01T00:00:00Z' });
    expect(again?.id).toBe(everywhere?.id);
    expect(benignRule(finding(), { scope: 'incident', incidentId: 'INC-2041', reason: 'x y z' })?.id).not.toBe(everywhere?.id);
  });

  it('uses /128 for IPv6, the name when there is no address, and the process name when there is no path', () => {
    expect(benignRule(finding({ dst: { ip: '2001:db8::7', port: 443 } }), { scope: 'incident', incidentId: 'I', reason: 'r r r' })?.dst_cidr).toBe('2001:db8::7/128');
    const byName = benignRule(finding({ process: { name: 'veeam.exe' }, dst: { hostname: 'repo.backup.example', port: 10000 } }), {
      scope: 'incident',
      incidentId: 'I',
      reason: 'r r r',
    });
    expect(byName).toMatchObject({ process_name: 'veeam.exe', dst_domain: 'repo.backup.example' });
  });

  it('is not made when the finding names nothing a rule can match on', () => {
    expect(benignRule(finding({ process: { name: '' }, dst: {} }), { scope: 'incident', incidentId: 'I', reason: 'r r r' })).toBeUndefined();
  });
});
