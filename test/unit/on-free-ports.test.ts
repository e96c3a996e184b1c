import { describe, expect, it } from 'vitest';
import { onFreePorts } from '../helpers/throwaway-redis.js';

/** A stand-in server whose boot fails as told: `exit` as when its port was taken, `hang` as when it never answers. */
function servers(failures: ('exit' | 'hang')[]) {
  const made: { id: number; exited: boolean; discarded: boolean }[] = [];
  return {
    made,
    create: async () => {
      const server = { id: made.length, exited: false, discarded: false };
      made.push(server);
      return server;
    },
    boot: async (server: (typeof made)[number]) => {
      const failure = failures[server.id];
      if (failure === 'exit') server.exited = true;
      if (failure) throw new Error(`server ${server.id}: ${failure}`);
    },
    after: {
      exited: (server: (typeof made)[number]) => server.exited,
      discard: async (server: (typeof made)[number]) => {
        server.discarded = true;
      },
    },
  };
}

describe('servers started on ports found free', () => {
  it('start again on fresh ports when one exited before answering, and discard what failed', async () => {
    const set = servers(['exit', 'exit']);
    const started = await onFreePorts(set.create, set.boot, set.after);
    expect(started.id).toBe(2);
    expect(set.made.map((server) => server.discarded)).toEqual([true, true, false]);
  });

  it('give up after the third early exit', async () => {
    const set = servers(['exit', 'exit', 'exit', 'exit']);
    await expect(onFreePorts(set.create, set.boot, set.after)).rejects.toThrow('server 2: exit');
    expect(set.made).toHaveLength(3);
  });

  it('do not retry a server that failed while still running: its failure is not a taken port', async () => {
    const set = servers(['hang']);
    await expect(onFreePorts(set.create, set.boot, set.after)).rejects.toThrow('server 0: hang');
    expect(set.made).toHaveLength(1);
    expect(set.made[0]?.discarded).toBe(true);
  });
});
