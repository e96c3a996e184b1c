/** Lua run by HeardTimeline.record: ORs minute bitmaps into a watch's heard hash, atomically. */
export const RECORD_HEARD_SCRIPT = `
-- KEYS: heard (hash: host label -> bitmap, '' -> epoch ms the timeline starts)
-- ARGV: start (epoch ms, kept if none is), then pairs of (host label, bitmap to OR in)
local heard = KEYS[1]
redis.call('hsetnx', heard, '', ARGV[1])
for i = 2, #ARGV, 2 do
  local label, incoming = ARGV[i], ARGV[i + 1]
  local stored = redis.call('hget', heard, label) or ''
  local bytes = {}
  for at = 1, math.max(#stored, #incoming) do
    bytes[at] = string.char(bit.bor(string.byte(stored, at) or 0, string.byte(incoming, at) or 0))
  end
  redis.call('hset', heard, label, table.concat(bytes))
end
return 0
`;
