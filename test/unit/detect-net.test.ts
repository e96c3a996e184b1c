import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileIndicators } from '../../src/detect/indicators.js';
import {
  compileCidrList,
  compileDomainMatcher,
  ipv4ToInt,
  isLoopbackOrLinkLocal,
  isMulticastOrBroadcast,
  normalizeHostname,
  normalizeIp,
} from '../../src/lib/net.js';
import { hasNoArguments } from '../../src/lib/process-identity.js';
import { PortSet, parsePortSpec } from '../../src/detect/ports.js';

describe('addresses', () => {
  it('parses dotted quads strictly', () => {
    expect(ipv4ToInt('203.0.113.7')).toBe(0xcb007107);
    expect(ipv4ToInt('255.255.255.255')).toBe(0xffffffff);
    for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', '1..2.3', 'a.b.c.d', '', '1.2.3.4 ']) expect(ipv4ToInt(bad)).toBe(-1);
  });

  it('normalizes IPv4-mapped IPv6, leading zeros and IPv6 spelling, and leaves other text lower-cased', () => {
    expect(normalizeIp('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(normalizeIp('::FFFF:c633:6407')).toBe('198.51.100.7');
    expect(normalizeIp('010.001.002.003')).toBe('10.1.2.3');
    expect(normalizeIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(normalizeIp('Not-An-IP')).toBe('not-an-ip');
  });

  it('tells loopback and link-local from routable addresses, IPv4 and IPv6', () => {
    for (const local of ['127.0.0.1', '127.8.8.8', '169.254.1.1', '0.0.0.0', '::1', 'fe80::1', '::', '::ffff:127.0.0.1']) {
      expect(isLoopbackOrLinkLocal(local)).toBe(true);
    }
    for (const remote of ['10.0.0.1', '192.0.2.1', '2001:db8::1', 'garbage']) expect(isLoopbackOrLinkLocal(remote)).toBe(false);
    expect(isMulticastOrBroadcast('224.0.0.252')).toBe(true);
    expect(isMulticastOrBroadcast('ff02::1:3')).toBe(true);
    expect(isMulticastOrBroadcast('255.255.255.255')).toBe(true);
    expect(isMulticastOrBroadcast('223.255.255.255')).toBe(false);
  });

  it('matches CIDR lists for IPv4, IPv4-mapped and IPv6, and reports which range matched', () => {
    const list = compileCidrList(['172.18.0.0/16', '10.10.10.5', '2001:db8:abcd::/48', '0.0.0.0/0']);
    expect(list.find('172.18.39.5')).toBe('172.18.0.0/16');
    expect(list.find('::ffff:10.10.10.5')).toBe('10.10.10.5');
    expect(list.find('2001:db8:abcd:12::1')).toBe('2001:db8:abcd::/48');
    expect(list.find('2001:db8:abce::1')).toBeUndefined();
    expect(list.find('8.8.8.8')).toBe('0.0.0.0/0');
    expect(compileCidrList(['172.18.0.0/16']).contains('172.19.0.1')).toBe(false);
  });
});

describe('names, ports and command lines', () => {
  it('normalizes host names and treats Sysmon\'s "-" as no name', () => {
    expect(normalizeHostname('CDN.Example.')).toBe('cdn.example');
    expect(normalizeHostname('-')).toBeUndefined();
    expect(normalizeHostname('')).toBeUndefined();
  });

  it('domain patterns: plain is exact (or parent, for indicators), *. is strictly below', () => {
    const allow = compileDomainMatcher(['example.com', '*.vendor.example'], false);
    expect(allow.find('example.com')).toBe('example.com');
    expect(allow.find('www.example.com')).toBeUndefined();
    expect(allow.find('a.b.vendor.example')).toBe('*.vendor.example');
    expect(allow.find('vendor.example')).toBeUndefined();
    const blocked = compileDomainMatcher(['example.com'], true);
    expect(blocked.find('www.example.com')).toBe('example.com');
    expect(blocked.find('badexample.com')).toBeUndefined();
  });

  it('parses port ranges and rejects reversed or out-of-range ones', () => {
    expect(parsePortSpec('1000-2000')).toEqual([1000, 2000]);
    expect(parsePortSpec(443)).toEqual([443, 443]);
    expect(parsePortSpec('2000-1000')).toBeUndefined();
    expect(parsePortSpec('1-65536')).toBeUndefined();
    const set = PortSet.from([80, '8000-8002']);
    expect([79, 80, 8000, 8002, 8003].map((port) => set.has(port))).toEqual([false, true, true, true, false]);
    expect(set.has(undefined)).toBe(false);
  });

  it('a port set holds exactly the ports of its ranges, however they overlap, touch or nest', () => {
    const port = fc.integer({ min: 0, max: 65535 });
    const range = fc.tuple(port, fc.integer({ min: 0, max: 300 })).map(([from, span]) => [from, Math.min(65535, from + span)] as const);
    fc.assert(
      fc.property(fc.array(range, { maxLength: 6 }), fc.array(port, { maxLength: 40 }), (ranges, probes) => {
        const set = new PortSet();
        for (const [from, to] of ranges) set.add(from, to);
        const inRanges = (candidate: number) => ranges.some(([from, to]) => candidate >= from && candidate <= to);
        const near = ranges.flatMap(([from, to]) => [from - 1, from, to, to + 1]);
        for (const candidate of [...probes, ...near, 65535, 0]) expect(set.has(candidate)).toBe(inRanges(candidate));
        const distinct = new Set(ranges.flatMap(([from, to]) => Array.from({ length: to - from + 1 }, (_, i) => from + i)));
        expect(set.size).toBe(distinct.size);
        expect(set.has(80.5)).toBe(false);
      }),
    );
  });

  it('recognises a command line that is only the image', () => {
    for (const bare of ['rundll32.exe', '"C:\\Windows\\System32\\rundll32.exe"', '  C:\\Windows\\System32\\rundll32.exe  ', '"C:\\Windows\\System32\\rundll32.exe" ']) {
      expect(hasNoArguments(bare)).toBe(true);
    }
    for (const withArgs of ['rundll32.exe shell32.dll,Control_RunDLL', '"C:\\Windows\\System32\\rundll32.exe" x.dll,Start', undefined, '']) {
      expect(hasNoArguments(withArgs)).toBe(false);
    }
  });
});

describe('blocked indicators', () => {
  const indicators = compileIndicators([
    { type: 'ip', value: '203.0.113.7' },
    { type: 'ip', value: '2001:db8::7' },
    { type: 'cidr', value: '198.51.100.0/24' },
    { type: 'domain', value: 'cdn-update.example' },
  ]);
  const to = (ip?: string, hostname?: string) =>
    indicators.matchEvent({
      id: 'e',
      source: 's',
      time: 0,
      device: {},
      dst_endpoint: { ip, hostname, port: 443 },
      protocol: 'tcp',
      direction: 'outbound',
      outcome: 'blocked',
    });

  it('matches the blocked ip in any spelling, an address inside a blocked CIDR, and a blocked domain or its subdomains', () => {
    expect(to('203.0.113.7')?.value).toBe('203.0.113.7');
    expect(to('::ffff:203.0.113.7')?.value).toBe('203.0.113.7');
    expect(to('2001:DB8:0::7')?.value).toBe('2001:db8::7');
    expect(to('198.51.100.254')?.value).toBe('198.51.100.0/24');
    expect(to(undefined, 'cdn-update.example')?.value).toBe('cdn-update.example');
    expect(to('192.0.2.1', 'x.y.CDN-UPDATE.example')?.value).toBe('cdn-update.example');
  });

  it('does not match neighbours', () => {
    expect(to('203.0.113.8')).toBeUndefined();
    expect(to('198.51.101.1')).toBeUndefined();
    expect(to(undefined, 'cdn-update.example.org')).toBeUndefined();
    expect(to(undefined, 'mycdn-update.example')).toBeUndefined();
    expect(to()).toBeUndefined();
  });
});
