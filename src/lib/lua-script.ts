import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

type ScriptArg = string | number | Buffer;
type ScriptCommand = (numberOfKeys: number, ...keysAndArgs: ScriptArg[]) => Promise<unknown>;

/**
 * A Lua script, run as an ioredis custom command: on each connection its body is sent once (EVAL), then only its
 * SHA1 (EVALSHA); a NOSCRIPT answer (a restarted or failed-over Redis, a cluster node that has not seen it) sends the
 * body again. `redis.eval` sends the body with every call: 8.5 KB for the findings script, once per watch and poll.
 * Not for a script inside MULTI: a NOSCRIPT retry there would run outside the transaction.
 */
export class LuaScript {
  private readonly command: string;

  constructor(private readonly lua: string) {
    this.command = `cwLua${createHash('sha1').update(lua).digest('hex').slice(0, 16)}`;
  }

  run(redis: Redis | Cluster, keys: readonly string[], args: readonly ScriptArg[] = []): Promise<unknown> {
    const commands = redis as unknown as Record<string, ScriptCommand | undefined>;
    if (typeof commands[this.command] !== 'function') redis.defineCommand(this.command, { lua: this.lua });
    return (commands[this.command] as ScriptCommand).call(redis, keys.length, ...keys, ...args);
  }
}
