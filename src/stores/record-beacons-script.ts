/** Lua run by RedisBeaconHistory.record: adds samples to tuple histories idempotently, atomically. */
export const RECORD_BEACONS_SCRIPT = `
-- KEYS: counts (hash: tuple -> samples ever kept, tuple .. ':floor' -> newest time dropped for the limit),
--       then one zset per tuple (member "<event id digest>|<bytes>", score time ms; before digests "<event id>|<bytes>")
-- ARGV: expire-at (epoch ms), limit, then per tuple: tuple id, n, n x (time ms, member, member as before digests)
-- Returns per tuple { total, { member, time, member, time, ... } }, oldest first.
local counts = KEYS[1]
local expire_at = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local at = 3
local out = {}
for k = 2, #KEYS do
  local key = KEYS[k]
  local tuple, n = ARGV[at], tonumber(ARGV[at + 1])
  at = at + 2
  local floor = redis.call('hget', counts, tuple .. ':floor')
  floor = floor and tonumber(floor)
  local added = 0
  for i = 1, n do
    -- At or below the floor it was kept once and dropped for the limit (or is that old): counted already. Kept in
    -- full by a version before digests: counted already too.
    if (not floor or tonumber(ARGV[at]) > floor) and not redis.call('zscore', key, ARGV[at + 2])
      and redis.call('zadd', key, 'NX', ARGV[at], ARGV[at + 1]) == 1 then
      added = added + 1
    end
    at = at + 3
  end
  local dropped = redis.call('zrange', key, 0, -(limit + 1), 'WITHSCORES')
  if #dropped > 0 then
    redis.call('hset', counts, tuple .. ':floor', dropped[#dropped])
    redis.call('zremrangebyrank', key, 0, -(limit + 1))
  end
  local total
  if added > 0 then total = redis.call('hincrby', counts, tuple, added) else total = tonumber(redis.call('hget', counts, tuple) or '0') end
  redis.call('pexpireat', key, expire_at)
  table.insert(out, { total, redis.call('zrange', key, 0, -1, 'WITHSCORES') })
end
redis.call('pexpireat', counts, expire_at)
return out
`;
