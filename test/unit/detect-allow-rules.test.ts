import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WatchedHost } from '../../src/contracts/watch.js';
import { allowRuleMatcher, compileAllowRules, sharedAllowRuleSet, type RuleSubject } from '../../src/detect/allow-rules.js';
import { BUILTIN_ALLOW_RULES } from '../../src/detect/catalog.js';
import { parseIp } from '../../src/lib/net.js';
import { AllowRuleSchema, DetectionSettingsSchema, type AllowRuleInput } from '../../src/detect/settings.js';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const HOST: WatchedHost = { hostname: 'fin-ws-042.corp.example', ip: '10.20.1.42', edr_id: 'dev-042', baseline: 'ready' };
const OTHER: WatchedHost = { hostname: 'HR-WS-007', baseline: 'ready' };

function subject(fields: Partial<RuleSubject> = {}): RuleSubject {
  const path = fields.path ?? 'c:\\program files\\veeam\\endpoint backup\\veeam.endpoint.service.exe';
  const merged = {
    host: HOST,
    path,
    exe: path.slice(path.lastIndexOf('\\') + 1),
    sha1: undefined,
    signer: undefined,
    dstIp: '192.0.2.10',
    dstHostname: 'backup.corp.example',
    port: 10005,
    protocol: 'tcp',
    ...fields,
  };
  return { ...merged, dstParsed: merged.dstIp === undefined ? undefined : parseIp(merged.dstIp) };
}

function matcherFor(rules: AllowRuleInput[], incidentId = 'INC-2041') {
  return compileAllowRules(AllowRuleSchema.array().parse(rules), { incidentId, hosts: [HOST, OTHER], nowMs: NOW });
}

describe('allow-rule schema', () => {
  it('rejects a rule with no matcher and names the matcher fields it needs', () => {
    const result = AllowRuleSchema.safeParse({ reason: 'benign' });
    expect(result.success).toBe(false);
    const message = result.error?.issues[0]?.message ?? '';
    for (const field of ['process_name', 'process_path', 'sha1', 'signer', 'dst_cidr', 'dst_domain', 'port']) {
      expect(message).toContain(field);
    }
  });

  it('rejects a rule that only names a host or protocol: it would hide every connection of the host', () => {
    expect(AllowRuleSchema.safeParse({ reason: 'scanner', host: 'SCAN-01', protocol: 'tcp' }).success).toBe(false);
  });

  it('requires a reason and rejects unknown fields, naming them', () => {
    const noReason = AllowRuleSchema.safeParse({ port: 9100 });
    expect(noReason.error?.issues.map((issue) => issue.path.join('.'))).toContain('reason');
    const typo = AllowRuleSchema.safeParse({ reason: 'printing', port: 9100, proces_name: 'x.exe' });
    expect(JSON.stringify(typo.error?.issues)).toContain('proces_name');
  });

  it('names the field of a bad port range', () => {
    const result = AllowRuleSchema.safeParse({ reason: 'x', port: '2000-1000' });
    expect(result.error?.issues[0]?.path).toEqual(['port']);
  });

  it('derives a stable id from the matchers when none is given, and keeps it across a stored round trip', () => {
    const rule = AllowRuleSchema.parse({ reason: 'backup', process_name: 'Veeam*.exe', port: [10005, '10006-10010'] });
    const again = AllowRuleSchema.parse({ reason: 'backup agent (reworded)', process_name: ['veeam*.exe'], port: ['10006-10010', 10005] });
    expect(rule.id).toMatch(/^allow-[0-9a-f]{12}$/);
    expect(again.id).toBe(rule.id);
    expect(AllowRuleSchema.parse(JSON.parse(JSON.stringify(rule)))).toEqual(rule);
    expect(AllowRuleSchema.parse({ reason: 'backup', process_name: 'Veeam*.exe', port: 10005 }).id).not.toBe(rule.id);
  });

  it('settings reject two rules with the same id', () => {
    const result = DetectionSettingsSchema.safeParse({
      allow: [
        { reason: 'a', port: 9100 },
        { reason: 'b', port: 9100 },
      ],
    });
    expect(result.error?.issues[0]?.path).toEqual(['allow', 1, 'id']);
  });

  it('settings default to no internal networks, no rules, the catalog on, min_score 40 and beacons from 0.8 over 4 connections', () => {
    const settings = DetectionSettingsSchema.parse({});
    expect(settings).toEqual({
      allow: [],
      networks: { internal: [], resolvers: [], proxies: [] },
      ports: { known_good: [] },
      tuning: {
        min_score: 40,
        medium_score: 50,
        high_score: 70,
        uncommon_port_max_hosts: 0.1,
        beacon_min_score: 0.8,
        beacon_min_connections: 4,
      },
      builtin_catalog: true,
    });
  });

  it('every built-in catalog entry names its binaries by path, or pins documented destinations and ports, and has a reason', () => {
    for (const rule of BUILTIN_ALLOW_RULES) {
      expect(rule.id.startsWith('builtin:')).toBe(true);
      const pinsDestinations = (rule.dst_cidr !== undefined || rule.dst_domain !== undefined) && rule.port !== undefined;
      expect(rule.process_path !== undefined || pinsDestinations, rule.id).toBe(true);
      expect(rule.process_name).toBeUndefined();
      expect(rule.signer).toBeUndefined();
      expect(rule.reason.length).toBeGreaterThan(10);
    }
  });
});

describe('allow-rule matching', () => {
  it('matches case-insensitively with * globs on name and path, ports as ranges, AND across fields', () => {
    const matcher = matcherFor([
      { id: 'veeam', reason: 'backup', process_path: 'C:\\Program Files\\Veeam\\*', port: '10000-10010', protocol: 'TCP' },
    ]);
    expect(matcher.match(subject(), NOW)).toBe('veeam');
    expect(matcher.match(subject({ port: 10011 }), NOW)).toBeUndefined();
    expect(matcher.match(subject({ protocol: 'udp' }), NOW)).toBeUndefined();
    expect(matcher.match(subject({ path: 'c:\\users\\public\\veeam.endpoint.service.exe' }), NOW)).toBeUndefined();
  });

  it('path globs match at any depth, shallow or deep, and never a sibling folder', () => {
    const matcher = matcherFor([
      { id: 'tools', reason: 'admin tools', process_path: 'C:\\Tools*' },
      { id: 'veeam', reason: 'backup', process_path: 'C:\\Program Files\\Veeam\\*' },
    ]);
    expect(matcher.match(subject({ path: 'c:\\tools\\x\\y.exe', exe: 'y.exe' }), NOW)).toBe('tools');
    expect(matcher.match(subject({ path: 'c:\\program files\\veeam\\a\\b\\c.exe', exe: 'c.exe' }), NOW)).toBe('veeam');
    expect(matcher.match(subject({ path: 'c:\\program files\\veeam2\\c.exe', exe: 'c.exe' }), NOW)).toBeUndefined();
    expect(matcher.match(subject({ path: 'c:\\program files\\veeam', exe: 'veeam' }), NOW)).toBeUndefined();
  });

  it('matches destinations by CIDR, and domains exactly or by *. suffix at a label boundary', () => {
    const matcher = matcherFor([
      { id: 'net', reason: 'backup network', dst_cidr: ['192.0.2.0/28'] },
      { id: 'exact', reason: 'crl', dst_domain: 'crl.example.com' },
      { id: 'suffix', reason: 'vendor', dst_domain: ['*.vendor.example'] },
    ]);
    expect(matcher.match(subject({ dstIp: '192.0.2.15', dstHostname: undefined }), NOW)).toBe('net');
    expect(matcher.match(subject({ dstIp: '192.0.2.16', dstHostname: undefined }), NOW)).toBeUndefined();
    const named = (dstHostname: string) => subject({ dstIp: '203.0.113.1', dstHostname });
    expect(matcher.match(named('crl.example.com'), NOW)).toBe('exact');
    expect(matcher.match(named('a.crl.example.com'), NOW)).toBeUndefined();
    expect(matcher.match(named('eu.api.vendor.example'), NOW)).toBe('suffix');
    expect(matcher.match(named('vendor.example'), NOW)).toBeUndefined();
    expect(matcher.match(named('evilvendor.example'), NOW)).toBeUndefined();
  });

  it('an allow-rule whose expiry is in the past is inactive; one expiring later stops at its expiry', () => {
    const matcher = matcherFor([
      { id: 'old', reason: 'last month', port: 10005, expires: '2026-11-01T00:00:00Z' },
      { id: 'today', reason: 'until 13:00', port: 10005, expires: '2026-11-27T13:00:00Z' },
    ]);
    expect(matcher.size).toBe(1);
    expect(matcher.match(subject(), NOW)).toBe('today');
    expect(matcher.match(subject(), Date.parse('2026-11-27T13:00:00Z'))).toBeUndefined();
  });

  it('an incident-scoped rule applies only to that incident', () => {
    const rule: AllowRuleInput = { id: 'benign-2041', reason: 'marked benign', port: 10005, incident_id: 'INC-2041' };
    expect(matcherFor([rule], 'INC-2041').match(subject(), NOW)).toBe('benign-2041');
    expect(matcherFor([rule], 'INC-9999').match(subject(), NOW)).toBeUndefined();
  });

  it('a host pattern matches the watched host by short name, FQDN, ip or edr id', () => {
    for (const host of ['FIN-WS-042', 'fin-ws-042.corp.example', 'fin-ws-*', '10.20.1.42', 'DEV-042']) {
      const matcher = matcherFor([{ id: 'h', reason: 'x', port: 10005, host }]);
      expect(matcher.match(subject(), NOW)).toBe('h');
      expect(matcher.match(subject({ host: OTHER }), NOW)).toBeUndefined();
    }
    const byFqdn = matcherFor([{ id: 'fqdn', reason: 'x', port: 10005, host: 'hr-ws-007.corp.example' }]);
    expect(byFqdn.match(subject({ host: OTHER }), NOW)).toBe('fqdn');
    expect(byFqdn.match(subject(), NOW)).toBeUndefined();
  });

  it('a signer alone does not suppress a signed binary dropped in a user-writable folder (side-loading)', () => {
    const matcher = matcherFor([{ id: 'vendor', reason: 'signed vendor', signer: 'Vendor Inc' }]);
    expect(matcher.match(subject({ signer: 'Vendor Inc' }), NOW)).toBe('vendor');
    const dropped = subject({ signer: 'Vendor Inc', path: 'c:\\users\\bob\\appdata\\local\\temp\\vendor.exe', exe: 'vendor.exe' });
    expect(matcher.match(dropped, NOW)).toBeUndefined();
  });

  it('a signer alone never suppresses a LOLBin, though it does suppress a signed product', () => {
    const matcher = matcherFor([{ id: 'ms', reason: 'Microsoft-signed', signer: 'Microsoft*' }]);
    const signed = { signer: 'Microsoft Windows' };
    expect(matcher.match(subject(signed), NOW)).toBe('ms');
    expect(matcher.match(subject({ ...signed, path: 'c:\\windows\\system32\\rundll32.exe', exe: 'rundll32.exe' }), NOW)).toBeUndefined();
    expect(matcher.match(subject({ ...signed, path: 'c:\\windows\\system32\\mshta.exe', exe: 'mshta.exe' }), NOW)).toBeUndefined();
    const named = matcherFor([{ id: 'sccm-mshta', reason: 'SCCM', signer: 'Microsoft*', process_name: 'mshta.exe' }]);
    expect(named.match(subject({ ...signed, path: 'c:\\windows\\system32\\mshta.exe', exe: 'mshta.exe' }), NOW)).toBe('sccm-mshta');
  });

  it('a sha1 rule matches a renamed copy of the same file', () => {
    const sha1 = 'a'.repeat(40);
    const matcher = matcherFor([{ id: 'tool', reason: 'admin tool', sha1: sha1.toUpperCase() }]);
    expect(matcher.match(subject({ sha1, path: 'c:\\tools\\renamed.exe', exe: 'renamed.exe' }), NOW)).toBe('tool');
    expect(matcher.match(subject({ sha1: 'b'.repeat(40) }), NOW)).toBeUndefined();
  });
});

describe('allow-rule sets shared by every watch', () => {
  const WORKER_RULES = AllowRuleSchema.array().parse([
    { id: 'yaml-veeam', reason: 'backup', process_name: 'veeam.endpoint.service.exe', port: 10005 },
  ]);
  const RESPONDER_RULES = AllowRuleSchema.array().parse([
    { id: 'benign-2041', reason: 'marked benign in INC-2041', port: 10005, incident_id: 'INC-2041' },
    { id: 'benign-hr-ws-007', reason: 'marked benign on HR-WS-007', port: 10005, host: 'HR-WS-007' },
  ]);
  const watchMatcher = (incidentId: string, hosts: WatchedHost[]) =>
    allowRuleMatcher([WORKER_RULES, RESPONDER_RULES, BUILTIN_ALLOW_RULES].map(sharedAllowRuleSet), { incidentId, hosts, nowMs: NOW });

  it('compiles a rule list once: every watch given the same list shares its compiled set', () => {
    expect(sharedAllowRuleSet(BUILTIN_ALLOW_RULES)).toBe(sharedAllowRuleSet(BUILTIN_ALLOW_RULES));
    expect(sharedAllowRuleSet(RESPONDER_RULES)).toBe(sharedAllowRuleSet(RESPONDER_RULES));
    // A new version of the responders' rules is a new list, compiled anew.
    expect(sharedAllowRuleSet([...RESPONDER_RULES])).not.toBe(sharedAllowRuleSet(RESPONDER_RULES));
  });

  it("a responder's incident- or host-scoped rule still applies only to its incident's or host's watch", () => {
    const otherHost = { ...HOST };
    const incident = watchMatcher('INC-2041', [otherHost]);
    const other = watchMatcher('INC-9999', [otherHost]);
    const holdingHost = watchMatcher('INC-9999', [OTHER]);
    const onPort = subject({ path: 'c:\\tools\\agent.exe', exe: 'agent.exe' });
    expect(incident.match({ ...onPort, host: otherHost }, NOW)).toBe('benign-2041');
    expect(other.match({ ...onPort, host: otherHost }, NOW)).toBeUndefined();
    expect(holdingHost.match({ ...onPort, host: OTHER }, NOW)).toBe('benign-hr-ws-007');
    // Host patterns resolve against each watch's own hosts: a host another watch holds is not covered here.
    expect(other.match({ ...onPort, host: OTHER }, NOW)).toBeUndefined();
    expect(incident.size).toBe(WORKER_RULES.length + RESPONDER_RULES.length + BUILTIN_ALLOW_RULES.length);
    expect(holdingHost.size).toBe(WORKER_RULES.length + RESPONDER_RULES.length - 1 + BUILTIN_ALLOW_RULES.length);
  });

  it('matching over several shared sets reports the rule one matcher over all the rules, in order, would', () => {
    const names = ['veeam.endpoint.service.exe', 'agent.exe', 'chrome.exe'];
    const folders = ['c:\\program files\\veeam\\', 'c:\\tools\\', 'c:\\program files\\google\\'];
    const ruleInput = fc.record(
      {
        process_name: fc.constantFrom(...names, 'agent*'),
        process_path: fc.constantFrom(...folders.map((folder) => `${folder}*`), 'c:\\*\\agent.exe'),
        port: fc.constantFrom(443, 10005, '10000-10010'),
        incident_id: fc.constantFrom('INC-2041', 'INC-9999'),
        host: fc.constantFrom('FIN-WS-042', 'hr-ws-*'),
        expires: fc.constantFrom('2026-11-27T11:00:00Z', '2026-11-27T13:00:00Z'),
      },
      { requiredKeys: [] },
    );
    const ruleList = fc.array(ruleInput, { maxLength: 6 });
    const event = fc.record({
      folder: fc.constantFrom(...folders),
      exe: fc.constantFrom(...names),
      port: fc.constantFrom(443, 10005, 10009),
      host: fc.constantFrom(HOST, OTHER),
      at: fc.constantFrom(NOW, Date.parse('2026-11-27T12:30:00Z'), Date.parse('2026-11-27T14:00:00Z')),
    });
    fc.assert(
      fc.property(fc.array(ruleList, { minLength: 1, maxLength: 3 }), fc.array(event, { maxLength: 20 }), (lists, events) => {
        let next = 0;
        const parsed = lists.map((list) =>
          AllowRuleSchema.array().parse(list.map((fields) => ({ id: `r${next++}`, reason: 'x', port: 443, ...fields }))),
        );
        const scope = { incidentId: 'INC-2041', hosts: [HOST, OTHER], nowMs: NOW };
        const shared = allowRuleMatcher(parsed.map(sharedAllowRuleSet), scope);
        const whole = compileAllowRules(parsed.flat(), scope);
        expect(shared.size).toBe(whole.size);
        for (const { folder, exe, port, host, at } of events) {
          const path = `${folder}${exe}`;
          const probe = subject({ path, exe, port, host });
          expect(shared.match(probe, at)).toBe(whole.match(probe, at));
        }
      }),
    );
  });
});
