/** Lua run by FindingStore.apply: records assessed events of one watch exactly once per event id, atomically. */
export const APPLY_EVENTS_SCRIPT = `
-- Records a batch of assessed events for one watch, exactly once per event id, atomically.
-- KEYS: seen (zset id -> event time), findings (hash), suppressed (hash rule -> count), stats (hash),
--       retry minutes (hash "finding id:minute start ms" -> attempts)
-- ARGV: trim-below (ms, 0 = keep), n, then n x (event id, event time ms, kind f|s|n, payload)
-- Returns { new event count, finding id, change, finding id, change, ... } with change created|escalated|updated.
local seen, findings, suppressed, stats, retry_minutes = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local trim = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local rank_of_change = { updated = 1, escalated = 2, created = 3 }
local changes, order = {}, {}
local fresh = 0

local function union(into, items)
  local present = {}
  for _, item in ipairs(into) do present[item] = true end
  for _, item in ipairs(items) do
    if not present[item] then table.insert(into, item); present[item] = true end
  end
  return into
end

local function as_list(value)
  if type(value) ~= 'table' then return {} end
  return value
end

local function has(list, wanted)
  for _, item in ipairs(list) do
    if item == wanted then return true end
  end
  return false
end

-- Attempts on a blocked indicator are binned per UTC minute. The peak is the largest bin, the earliest minute on a
-- tie, so the result does not depend on the order events arrive in.
local function count_retry(finding, id, time)
  local minute = math.floor(time / 60000) * 60000
  local in_minute = redis.call('hincrby', retry_minutes, id .. ':' .. string.format('%.0f', minute), 1)
  local retry = finding.retry
  if type(retry) ~= 'table' then retry = { minutes = 0, peak = 0, peak_ms = minute } end
  if in_minute == 1 then retry.minutes = retry.minutes + 1 end
  if in_minute > retry.peak or (in_minute == retry.peak and minute < retry.peak_ms) then
    retry.peak = in_minute
    retry.peak_ms = minute
  end
  finding.retry = retry
end

for i = 0, n - 1 do
  local at = 3 + i * 4
  local event_id, time, kind, payload = ARGV[at], tonumber(ARGV[at + 1]), ARGV[at + 2], ARGV[at + 3]
  if redis.call('zadd', seen, 'NX', time, event_id) == 1 then
    fresh = fresh + 1
    if kind == 's' then
      redis.call('hincrby', suppressed, payload, 1)
    elseif kind == 'n' then
      redis.call('hincrby', stats, 'normal', 1)
    elseif kind == 'f' then
      local incoming = cjson.decode(payload)
      local id = incoming.id
      local stored = redis.call('hget', findings, id)
      local change
      if not stored then
        incoming.count = 1
        incoming.first_ms = time
        incoming.last_ms = time
        incoming.version = 1
        incoming.status = 'open'
        if has(as_list(incoming.kind), 'blocked_retry') then count_retry(incoming, id, time) end
        redis.call('hset', findings, id, cjson.encode(incoming))
        change = 'created'
      else
        local finding = cjson.decode(stored)
        change = 'updated'
        finding.count = finding.count + 1
        -- On equal scores the newest event's reasons win: they carry current figures (a beacon's "(n times)").
        local newest = time >= finding.last_ms
        if time < finding.first_ms then finding.first_ms = time end
        if time > finding.last_ms then finding.last_ms = time end
        finding.kind = union(as_list(finding.kind), as_list(incoming.kind))
        finding.sources = union(as_list(finding.sources), as_list(incoming.sources))
        if incoming.rank > finding.rank then
          finding.rank = incoming.rank
          finding.severity = incoming.severity
          change = 'escalated'
        end
        if incoming.score > finding.score or (incoming.score == finding.score and newest) then
          finding.score = incoming.score
          finding.reasons = incoming.reasons
        end
        if incoming.connected then finding.connected = true end
        if has(as_list(incoming.kind), 'blocked_retry') then count_retry(finding, id, time) end
        finding.version = finding.version + 1
        redis.call('hset', findings, id, cjson.encode(finding))
      end
      if not changes[id] then table.insert(order, id) end
      if not changes[id] or rank_of_change[change] > rank_of_change[changes[id]] then changes[id] = change end
    end
  end
end

if trim > 0 then redis.call('zremrangebyscore', seen, '-inf', '(' .. trim) end
if fresh > 0 then redis.call('hincrby', stats, 'events', fresh) end

local result = { fresh }
for _, id in ipairs(order) do
  table.insert(result, id)
  table.insert(result, changes[id])
end
return result
`;
