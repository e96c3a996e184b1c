import type { Redis } from 'ioredis';
import * as z from 'zod';
import { AllowRuleSchema, type AllowRule, type AllowRuleInput } from '../detect/settings.js';
import type { RedisKeys } from '../lib/keys.js';
import { LuaScript } from '../lib/lua-script.js';

/** An allow-rule a responder created ("Mark benign"), with who made it and from which finding. */
export const StoredAllowRuleSchema = z.object({
  /** The rule as written; read back through AllowRuleSchema, like the YAML's rules. */
  rule: z.record(z.string(), z.unknown()),
  created_by: z.string(),
  created_at: z.string(),
  origin: z.object({ watch_id: z.string(), finding_id: z.string(), incident_id: z.string() }),
});
export type StoredAllowRule = z.infer<typeof StoredAllowRuleSchema>;

/** A stored rule as the API lists it: its id, and whether its expiry has passed. */
export const ListedAllowRuleSchema = StoredAllowRuleSchema.extend({ id: z.string(), expired: z.boolean() });
export type ListedAllowRule = z.infer<typeof ListedAllowRuleSchema>;

/** Deletes the record and bumps the version; returns the deleted record, or nil. */
const REMOVE = new LuaScript(`
local record = redis.call('HGET', KEYS[1], ARGV[1])
if not record then return nil end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('INCR', KEYS[2])
return record`);

/** Writes the record unless it is already stored as is; bumps the version when it wrote. */
const SAVE_IF_CHANGED = new LuaScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('INCR', KEYS[2])
return 1`);

/**
 * Allow-rules added at run time, shared by every worker through Redis. Each change bumps a version, so the
 * detector caches know when to recompile; rules with the same matchers and scope share an id, so marking the
 * same traffic twice replaces the rule (a new reason or expiry) instead of adding a second one.
 */
export class AllowRuleStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Stores the rule; false when the identical record was already there. */
  async save(rule: AllowRuleInput & { id: string }, meta: Omit<StoredAllowRule, 'rule'>): Promise<boolean> {
    const record: StoredAllowRule = { rule: { ...rule }, ...meta };
    const written = await SAVE_IF_CHANGED.run(this.redis, [this.keys.allowRules, this.keys.allowRulesVersion], [rule.id, JSON.stringify(record)]);
    return written === 1;
  }

  async version(): Promise<string> {
    return (await this.redis.get(this.keys.allowRulesVersion)) ?? '0';
  }

  async get(id: string): Promise<StoredAllowRule | undefined> {
    const json = await this.redis.hget(this.keys.allowRules, id);
    return json === null ? undefined : parseRecord(json);
  }

  /** Every stored rule, expired ones included (they no longer apply), by id. */
  async list(nowMs = Date.now()): Promise<ListedAllowRule[]> {
    const listed: ListedAllowRule[] = [];
    for (const [id, json] of Object.entries(await this.redis.hgetall(this.keys.allowRules))) {
      const record = parseRecord(json);
      if (record === undefined) continue;
      const expires = typeof record.rule.expires === 'string' ? Date.parse(record.rule.expires) : Number.NaN;
      listed.push({ id, ...record, expired: expires <= nowMs });
    }
    return listed.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Deletes a rule; every worker's detector drops it at its next poll. Undefined when no such rule was stored. */
  async remove(id: string): Promise<StoredAllowRule | undefined> {
    const json = (await REMOVE.run(this.redis, [this.keys.allowRules, this.keys.allowRulesVersion], [id])) as string | null;
    return json === null ? undefined : parseRecord(json);
  }

  /** Every stored rule that is valid and not expired at `nowMs`. */
  async active(nowMs = Date.now()): Promise<AllowRule[]> {
    const rules: AllowRule[] = [];
    for (const json of await this.redis.hvals(this.keys.allowRules)) {
      const record = parseRecord(json);
      const rule = record === undefined ? undefined : AllowRuleSchema.safeParse(record.rule);
      if (!rule?.success) continue;
      if (rule.data.expires !== undefined && Date.parse(rule.data.expires) <= nowMs) continue;
      rules.push(rule.data);
    }
    return rules.sort((a, b) => a.id.localeCompare(b.id));
  }
}

function parseRecord(json: string): StoredAllowRule | undefined {
  try {
    const parsed = StoredAllowRuleSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
