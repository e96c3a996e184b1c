/** Lua run by FindingStore.apply: records assessed events of one watch exactly once per event id, atomically. */
export const APPLY_EVENTS_SCRIPT = `
-- Records a batch of assessed events for one watch, exactly once per event id, atomically.
-- KEYS: seen (zset id digest -> event time), legacy seen (zset full id -> event time, written by earlier versions:
--       read while it exists, trimmed, never added to), findings (hash), suppressed (hash rule -> count),
--       stats (hash), retry minutes (hash "finding id:minute start ms" -> attempts),
--       quarantine (list "event id<TAB>reason")
-- ARGV: trim-below (ms, 0 = keep), n, quarantine cap, late-from, late-to (ms; 0 0 = off),
--       then n x (event id, id digest, event time ms, kind f|s|n, payload)
-- Returns { new event count, quarantined count, oldest late time (-1 if none), quarantined id, reason, ...,
-- finding id, change, ... } with change created|escalated|updated. A late event is a new one whose time lies in
-- [late-from, late-to): a previous read covered that time and did not deliver it.
-- An event is validated (its payload decoded) before its id is marked seen, and nothing after the mark can fail: a
-- script error would leave earlier writes in place (Redis does not roll a script back) and drop the rest of the
-- batch. An event that cannot be decoded or applied is quarantined instead: marked seen (so it is counted once,
-- like any event), counted in stats.quarantined and listed with its reason, and the batch goes on.
local seen, legacy_seen, findings, suppressed, stats = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local retry_minutes, quarantine = KEYS[6], KEYS[7]
local legacy = redis.call('exists', legacy_seen) == 1
local trim = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local quarantine_cap = tonumber(ARGV[3])
local late_from, late_to = tonumber(ARGV[4]), tonumber(ARGV[5])
local oldest_late = -1
local rank_of_change = { updated = 1, escalated = 2, created = 3 }
local changes, order = {}, {}
local fresh = 0
local quarantined = {}

local function finite(value)
  return type(value) == 'number' and value == value and value ~= math.huge and value ~= -math.huge
end

-- The decoded finding of a payload, or nil and why it cannot be applied.
local function decode_finding(payload)
  local ok, incoming = pcall(cjson.decode, payload)
  if not ok then return nil, 'undecodable payload: ' .. tostring(incoming) end
  if type(incoming) ~= 'table' then return nil, 'payload is not an object' end
  if type(incoming.id) ~= 'string' or incoming.id == '' then return nil, 'finding without an id' end
  if not finite(incoming.rank) or not finite(incoming.score) then return nil, 'finding without a finite rank and score' end
  return incoming
end

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

local function quarantine_event(event_id, problem)
  redis.call('hincrby', stats, 'quarantined', 1)
  redis.call('lpush', quarantine, event_id .. '\t' .. problem)
  redis.call('ltrim', quarantine, 0, quarantine_cap - 1)
  table.insert(quarantined, event_id)
  table.insert(quarantined, problem)
end

-- Writes the finding; returns the change, or nil when it cannot be encoded (a decoded payload with a number cjson
-- will not write back), in which case the event is quarantined and the stored finding is left as it was.
local function store_finding(id, finding, event_id, change)
  local ok, json = pcall(cjson.encode, finding)
  if not ok then
    quarantine_event(event_id, 'cannot encode the finding: ' .. tostring(json))
    return nil
  end
  redis.call('hset', findings, id, json)
  return change
end

-- Recorded by this version (by digest) or, until the legacy set is trimmed away, by an earlier one (by full id).
local function recorded(event_id, digest)
  return redis.call('zscore', seen, digest) or (legacy and redis.call('zscore', legacy_seen, event_id))
end

for i = 0, n - 1 do
  local at = 6 + i * 5
  local event_id, digest, time, kind, payload = ARGV[at], ARGV[at + 1], tonumber(ARGV[at + 2]), ARGV[at + 3], ARGV[at + 4]
  -- Validate first, then mark: only the finding kind carries a payload to decode, and only an event not yet seen
  -- is decoded (a look-back re-read of a recorded finding costs one ZSCORE, no decode).
  local known = recorded(event_id, digest)
  local incoming, problem
  if not finite(time) then
    time, problem = 0, 'event time is not a number'
  elseif kind == 'f' then
    if not known then incoming, problem = decode_finding(payload) end
  elseif kind ~= 's' and kind ~= 'n' then
    problem = 'unknown kind ' .. tostring(kind)
  end
  if not known and redis.call('zadd', seen, 'NX', time, digest) == 1 then
    if time >= late_from and time < late_to and (oldest_late < 0 or time < oldest_late) then oldest_late = time end
    if problem then
      quarantine_event(event_id, problem)
    elseif kind == 's' then
      fresh = fresh + 1
      redis.call('hincrby', suppressed, payload, 1)
    elseif kind == 'n' then
      fresh = fresh + 1
      redis.call('hincrby', stats, 'normal', 1)
    else
      fresh = fresh + 1
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
        change = store_finding(id, incoming, event_id, 'created')
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
        change = store_finding(id, finding, event_id, change)
      end
      if change then
        if not changes[id] then table.insert(order, id) end
        if not changes[id] or rank_of_change[change] > rank_of_change[changes[id]] then changes[id] = change end
      else
        fresh = fresh - 1
      end
    end
  end
end

if trim > 0 then
  redis.call('zremrangebyscore', seen, '-inf', '(' .. trim)
  if legacy then redis.call('zremrangebyscore', legacy_seen, '-inf', '(' .. trim) end
end
if fresh > 0 then redis.call('hincrby', stats, 'events', fresh) end

local result = { fresh, #quarantined / 2, oldest_late }
for _, item in ipairs(quarantined) do table.insert(result, item) end
for _, id in ipairs(order) do
  table.insert(result, id)
  table.insert(result, changes[id])
end
return result
`;
