import { describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import { finishPrevalence, prevalenceFromEvents } from '../../src/sources/prevalence.js';

const cut = { minDestinationHosts: 2, maxDestinations: 3 };

const session = (src: string, dst: string, port: number, hostname?: string): ConnectionEvent => ({
  id: `${src}-${dst}-${port}`,
  source: 'fw',
  time: 0,
  device: hostname ? { hostname, ip: src } : { ip: src },
  src_endpoint: { ip: src },
  dst_endpoint: { ip: dst, port },
  protocol: 'tcp',
  direction: 'unknown',
  outcome: 'success',
});

describe('estate prevalence from a source', () => {
  it('merges vendor rows that read alike, keeping the larger count, and keeps the most widespread destinations', () => {
    const answer = finishPrevalence(
      {
        host_count: 50,
        ports: [
          { protocol: 'Tcp', port: 443, hosts: 40 },
          { protocol: 'tcp', port: 443, hosts: 45 },
          { protocol: ' ', port: 1, hosts: 3 },
        ],
        destinations: [
          { destination: 'CDN.Example', hosts: 30 },
          { destination: 'cdn.example', hosts: 31 },
          { destination: '-', hosts: 50 },
          { destination: '192.0.2.1', hosts: 20 },
          { destination: '192.0.2.2', hosts: 10 },
          { destination: '192.0.2.3', hosts: 9 },
          { destination: '198.51.100.9', hosts: 1 },
        ],
        partial: false,
      },
      cut,
    );
    expect(answer.ports).toEqual([{ protocol: 'tcp', port: 443, hosts: 45 }]);
    expect(answer.destinations).toEqual([
      { destination: 'cdn.example', hosts: 31 },
      { destination: '192.0.2.1', hosts: 20 },
      { destination: '192.0.2.2', hosts: 10 },
    ]);
  });

  it('counts distinct hosts from raw records, and with hostNetworks only sessions from the estate', () => {
    const events = [
      session('10.1.0.1', '192.0.2.10', 443),
      session('10.1.0.2', '192.0.2.10', 443),
      session('10.1.0.2', '192.0.2.10', 443),
      session('198.51.100.77', '10.9.0.5', 8443),
      session('203.0.113.50', '10.9.0.5', 8443),
      session('172.31.0.9', '192.0.2.10', 443, 'LAPTOP-7'),
    ];
    const everything = prevalenceFromEvents(events, cut, false);
    expect(everything.host_count).toBe(5);
    expect(everything.ports).toContainEqual({ protocol: 'tcp', port: 8443, hosts: 2 });

    const ours = prevalenceFromEvents(events, { ...cut, hostNetworks: ['10.0.0.0/8'] }, true);
    expect(ours.host_count).toBe(3);
    expect(ours.ports).toEqual([{ protocol: 'tcp', port: 443, hosts: 3 }]);
    expect(ours.destinations).toEqual([{ destination: '192.0.2.10', hosts: 3 }]);
    expect(ours.partial).toBe(true);
  });
});
