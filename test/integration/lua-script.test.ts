import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LuaScript } from '../../src/lib/lua-script.js';
import { missingBinaries, startRedisServer } from '../helpers/redis-topologies.js';
import { waitFor } from '../helpers/wait.js';

const missing = missingBinaries('redis-server');
if (missing) console.warn(`skipping the Lua script tests: ${missing}`);

/**
 * On a redis-server of its own: the test flushes the script cache, which on the shared Redis would make other tests'
 * pipelined scripts fail.
 */
describe.skipIf(missing !== undefined)('a Lua script run as a command', () => {
  let server: Awaited<ReturnType<typeof startRedisServer>>;
  let monitor: Redis;
  const sent: string[][] = [];

  beforeAll(async () => {
    server = await startRedisServer([]);
    monitor = await new Redis({ port: server.port, host: '127.0.0.1' }).monitor();
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((arg) => arg.startsWith('lua-script:'))) sent.push(args);
    });
  });

  afterAll(async () => {
    monitor.disconnect();
    await server.close();
  });

  /** How the script reached Redis for `key`: EVAL with the body, or EVALSHA with the digest (the commands it ran aside). */
  const commandsFor = (key: string) =>
    sent
      .filter((args) => args.includes(key))
      .map(([command]) => command!.toLowerCase())
      .filter((command) => command === 'eval' || command === 'evalsha');

  it('sends its body once per connection, then its digest; after Redis forgot it, its body once more; keys and arguments as given', async () => {
    const script = new LuaScript(`return { redis.call('incrby', KEYS[1], ARGV[1]), KEYS[2], ARGV[2] }`);
    const redis = new Redis({ port: server.port, host: '127.0.0.1' });
    const other = new Redis({ port: server.port, host: '127.0.0.1' });
    try {
      const key = 'lua-script:counter';
      expect(await script.run(redis, [key, 'lua-script:second'], [2, 'two'])).toEqual([2, 'lua-script:second', 'two']);
      expect(await script.run(redis, [key, 'lua-script:second'], [3, 'three'])).toEqual([5, 'lua-script:second', 'three']);
      expect(await script.run(other, [key, 'lua-script:second'], [1, 'one'])).toEqual([6, 'lua-script:second', 'one']);
      await redis.script('FLUSH');
      expect(await script.run(redis, [key, 'lua-script:second'], [4, 'four'])).toEqual([10, 'lua-script:second', 'four']);

      await waitFor(async () => commandsFor(key).length >= 5, { what: 'the monitor to see every command' });
      // First call: the body. Second: the digest. The other connection: its body. After the flush: the digest
      // (NOSCRIPT), then the body.
      expect(commandsFor(key)).toEqual(['eval', 'evalsha', 'eval', 'evalsha', 'eval']);
    } finally {
      redis.disconnect();
      other.disconnect();
    }
  });
});
