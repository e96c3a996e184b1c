import { describe, expect, it } from 'vitest';
import { toConnectionEvent } from '../../src/sources/crowdstrike/normalize.js';
import { NetworkEventSchema } from '../../src/sources/crowdstrike/parse.js';

const connect = (ConnectionDirection?: string | number) =>
  NetworkEventSchema.parse({
    '@id': 'e1',
    '@timestamp': 1_764_921_600_000,
    aid: 'ab'.repeat(16),
    RemoteAddressIP4: '192.0.2.44',
    RemotePort: '8443',
    Protocol: '6',
    ...(ConnectionDirection === undefined ? {} : { ConnectionDirection }),
  });

describe('a Falcon connect event', () => {
  it('takes its direction from ConnectionDirection: 0 outbound, 1 inbound, neither or both unknown, absent outbound', () => {
    const directionOf = (value?: string | number) => toConnectionEvent('falcon', connect(value), undefined).direction;
    expect(['0', 0, '1', 1, '2', '3', undefined].map(directionOf)).toEqual(['outbound', 'outbound', 'inbound', 'inbound', 'unknown', 'unknown', 'outbound']);
  });
});
