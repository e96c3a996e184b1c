/**
 * Lua run by FindingStore.triage: applies a responder's decision to one stored finding atomically, next to the
 * event merges of apply-events-script.ts (which keep every field they do not own, so the decision survives them).
 */
export const TRIAGE_SCRIPT = `
-- KEYS: findings (hash)
-- ARGV: finding id, op (acknowledge|benign|escalate), mark (JSON with by, at, ref...), then the severities lowest first
-- Returns { outcome, status, severity, earlier mark JSON or '' }:
--   outcome 'changed'; 'repeat' (this ref already applied); 'unchanged' (an earlier decision stands); 'missing'
local findings = KEYS[1]
local id, op = ARGV[1], ARGV[2]
local mark = cjson.decode(ARGV[3])
local stored = redis.call('hget', findings, id)
if not stored then return { 'missing', '', '', '' } end
local finding = cjson.decode(stored)

local function answer(outcome, earlier)
  return { outcome, finding.status, finding.severity, earlier and cjson.encode(earlier) or '' }
end

if op == 'acknowledge' then
  local earlier = finding.acknowledged
  if earlier and mark.ref and earlier.ref == mark.ref then return answer('repeat', earlier) end
  if finding.status ~= 'open' then return answer('unchanged', earlier or finding.benign) end
  finding.status = 'acknowledged'
  finding.acknowledged = mark
elseif op == 'benign' then
  local earlier = finding.benign
  if earlier and mark.ref and earlier.ref == mark.ref then return answer('repeat', earlier) end
  finding.status = 'benign'
  finding.benign = mark
elseif op == 'escalate' then
  local earlier = finding.escalated
  if earlier and mark.ref and earlier.ref == mark.ref then return answer('repeat', earlier) end
  local order = {}
  for i = 5, #ARGV do order[#order + 1] = ARGV[i] end
  local index = 0
  for i, severity in ipairs(order) do if severity == finding.severity then index = i end end
  mark.from = finding.severity
  if index > 0 and index < #order then
    finding.severity = order[index + 1]
    finding.rank = index
  end
  finding.escalated = mark
else
  return redis.error_reply('unknown triage op ' .. op)
end

finding.version = finding.version + 1
redis.call('hset', findings, id, cjson.encode(finding))
return answer('changed', nil)
`;
