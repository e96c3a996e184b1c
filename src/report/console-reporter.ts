import { createReadStream } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Redis } from 'ioredis';
import { SEVERITY_ORDER } from '../contracts/common.js';
import type { Finding } from '../contracts/finding.js';
import type { WatchView } from '../contracts/watch.js';
import type { RedisKeys } from '../lib/keys.js';
import type { Logger } from '../lib/logger.js';
import { byImportance, destinationLabel, processLabel, retryRateText } from './describe.js';
import type { Reporter } from './reporter.js';
import { KIND_LABEL, SEVERITIES_DESCENDING } from './text/labels.js';
import { escapeTerminal, truncateTerminal } from './text/terminal.js';
import { formatDurationShort, formatTimeLeft, formatUtc } from './text/time.js';
import { LuaScript } from '../lib/lua-script.js';

export interface ConsoleReporterOptions {
  /** Where the readable lines go (usually stdout). */
  out: NodeJS.WritableStream;
  /** When set, every printed publication is also appended here as one JSON line. @defaultValue none */
  jsonlPath?: string | undefined;
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  /** @defaultValue `Date.now` */
  now?: () => number;
}

/**
 * Sets the field when its value differs, and records the line it claims as pending (ARGV[3] -> ARGV[4]) until it is
 * written; returns 1 when it did.
 */
const SET_IF_CHANGED = new LuaScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
return 1`);

/**
 * Sets the field to the new severity (ARGV[2]) when there is none yet or it is higher than the stored one, recording
 * the claimed line as pending (ARGV[3] -> ARGV[4]). The line names the severity it raises from, so the stored one
 * must still be ARGV[5] ('' for none). ARGV[6..] is the severity order, lowest first. Returns 1 when it set, 0 when
 * there is nothing to raise, -1 when the stored severity changed since it was read.
 */
const RAISE_SEVERITY = new LuaScript(`
local old = redis.call('HGET', KEYS[1], ARGV[1])
local function rank(severity)
  for i = 6, #ARGV do if ARGV[i] == severity then return i end end
  return 0
end
if old and rank(old) >= rank(ARGV[2]) then return 0 end
if (old or '') ~= ARGV[5] then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
return 1`);

/** Sets the field only when it has no value, recording the claimed line as pending; returns 1 when it did. */
const SET_ONCE = new LuaScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
return 1`);

/** A claimed line this old was abandoned by a worker that died: a live one appends within milliseconds. */
const ABANDONED_CLAIM_MS = 10_000;

/** The hash field holding a claimed line not yet known written: its JSON record. */
const pendingField = (field: string) => `${field}:pending`;

/** True when the JSON-lines file already holds the line (a worker died after writing it, before clearing its claim). */
async function fileHasLine(path: string, lineId: string): Promise<boolean> {
  const needle = `"line_id":${JSON.stringify(lineId)}`;
  try {
    const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const line of lines) if (line.includes(needle)) return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  return false;
}

const INDENT = '    ';

/**
 * A Reporter for installs without Slack credentials (and the demo): readable lines on `out`, and JSON lines in
 * `jsonlPath`. What was printed is remembered in the watch's Slack-messages hash (`console:*` fields), so restarts
 * and several workers print each thing once: a watch when it opens or changes state, a finding when it first
 * appears and again only when its severity rises, the verdict once. The JSON-lines file gets each line exactly once:
 * the mark and a pending claim holding the line are set together, the line (carrying its `line_id`) is appended, then
 * the claim is cleared; a publication that finds a claim left by a worker that died in between appends the line
 * only if the file does not hold it yet.
 */
export function createConsoleReporter(options: ConsoleReporterOptions): Reporter {
  const { out, jsonlPath, redis, keys } = options;
  const now = options.now ?? Date.now;
  const log = options.logger.child({ component: 'console-reporter' });

  const jsonLine = (type: 'status' | 'finding' | 'verdict', lineId: string, record: Record<string, unknown>): string =>
    JSON.stringify({ type, at: new Date(now()).toISOString(), ...record, line_id: lineId });

  const append = async (line: string): Promise<void> => {
    if (jsonlPath === undefined) return;
    try {
      await appendFile(jsonlPath, `${line}\n`, 'utf8');
    } catch (error) {
      log.error({ path: jsonlPath, error: error instanceof Error ? error.message : String(error) }, 'cannot append to the JSON-lines file');
      throw error;
    }
  };

  /** Prints the text, appends the claimed line, then clears the claim. */
  const write = async (watchId: string, field: string, text: string, line: string): Promise<void> => {
    out.write(`${text}\n`);
    await append(line);
    await redis.hdel(keys.slackMessages(watchId), pendingField(field));
  };

  /**
   * Finishes a line a worker claimed and died before it was known written. A claim younger than
   * `ABANDONED_CLAIM_MS` belongs to a worker still writing it (its job would only be re-run after BullMQ found it
   * stalled, 30 s at least).
   */
  const finishPending = async (watchId: string, field: string): Promise<void> => {
    const line = await redis.hget(keys.slackMessages(watchId), pendingField(field));
    if (line === null) return;
    const { line_id: lineId, at } = JSON.parse(line) as { line_id: string; at: string };
    if (now() - Date.parse(at) < ABANDONED_CLAIM_MS) return;
    if (jsonlPath !== undefined && !(await fileHasLine(jsonlPath, lineId))) await append(line);
    await redis.hdel(keys.slackMessages(watchId), pendingField(field));
  };

  const markChanged = async (watchId: string, field: string, value: string, line: string): Promise<boolean> =>
    (await SET_IF_CHANGED.run(redis, [keys.slackMessages(watchId)], [field, value, pendingField(field), line])) === 1;

  const publishStatus = async (view: WatchView): Promise<void> => {
    const quiet = view.quiet_hosts.map((host) => host.host).sort();
    const state = `${view.state === 'closed' ? `closed:${view.verdict ?? 'none'}` : view.state}|quiet:${quiet.join(',')}`;
    const field = 'console:status';
    await finishPending(view.id, field);
    const line = jsonLine('status', `${view.id}:status:${state}`, {
      watch_id: view.id,
      incident_id: view.incident_id,
      state: view.state,
      verdict: view.verdict,
      expires_at: view.expires_at,
      hosts: view.hosts.length,
      sources: view.sources,
      findings: view.findings,
    });
    if (!(await markChanged(view.id, field, state, line))) return;
    await write(view.id, field, statusText(view, now()), line);
  };

  return {
    publishStatus,

    async publishFinding(view, finding) {
      const field = `console:finding:${finding.id}`;
      await finishPending(view.id, field);
      for (;;) {
        const previous = (await redis.hget(keys.slackMessages(view.id), field)) ?? undefined;
        const line = jsonLine('finding', `${view.id}:finding:${finding.id}:${finding.severity}`, {
          watch_id: view.id,
          incident_id: view.incident_id,
          ...(previous === undefined ? {} : { previous_severity: previous }),
          finding,
        });
        const claimed = Number(
          await RAISE_SEVERITY.run(redis, [keys.slackMessages(view.id)], [field, finding.severity, pendingField(field), line, previous ?? '', ...SEVERITY_ORDER]),
        );
        if (claimed === 0) return;
        if (claimed === 1) return write(view.id, field, findingText(view, finding, previous), line);
      }
    },

    async publishVerdict(view, findings) {
      await publishStatus(view);
      const field = 'console:verdict';
      await finishPending(view.id, field);
      const top = [...findings].filter((finding) => finding.status !== 'benign').sort(byImportance);
      const line = jsonLine('verdict', `${view.id}:verdict`, {
        watch_id: view.id,
        incident_id: view.incident_id,
        verdict: view.verdict ?? 'inconclusive',
        reasons: view.verdict_reasons ?? [],
        findings: view.findings,
        top_findings: top.slice(0, 5).map((finding) => finding.id),
      });
      if ((await SET_ONCE.run(redis, [keys.slackMessages(view.id)], [field, view.verdict ?? 'none', pendingField(field), line])) !== 1) return;
      await write(view.id, field, verdictText(view, top), line);
    },

    async close() {
      // Nothing owned: the stream and Redis belong to the caller.
    },
  };
}

const utc = (iso: string): string => escapeTerminal(formatUtc(iso));

const tag = (view: WatchView): string => `[${truncateTerminal(view.incident_id, 128)}]`;

function countsText(view: WatchView): string {
  if (view.findings.total === 0) return 'no findings';
  const parts = SEVERITIES_DESCENDING.filter((severity) => (view.findings.by_severity[severity] ?? 0) > 0).map(
    (severity) => `${view.findings.by_severity[severity] ?? 0} ${severity}`,
  );
  return `${view.findings.total} finding${view.findings.total === 1 ? '' : 's'} (${parts.join(', ')})`;
}

function statusText(view: WatchView, now: number): string {
  const title = view.title === undefined ? '' : ` ${truncateTerminal(view.title, 200)}`;
  const lines = [`${tag(view)} containment watch${title}`];
  if (view.state === 'closed') {
    lines.push(`${INDENT}closed${view.verdict === undefined ? '' : `: ${view.verdict}`}; ${countsText(view)}`);
  } else {
    const state = view.state === 'baseline' ? 'taking the baseline' : 'watching';
    lines.push(
      `${INDENT}${state}: ${view.hosts.length} host${view.hosts.length === 1 ? '' : 's'} on ${view.sources.map((source) => escapeTerminal(source)).join(', ')}; ends ${utc(view.expires_at)} (${formatTimeLeft(view.expires_at, now)})`,
    );
  }
  const blocked = view.blocked.slice(0, 10).map((indicator) => escapeTerminal(indicator.value));
  const more = view.blocked.length > blocked.length ? ` and ${view.blocked.length - blocked.length} more` : '';
  lines.push(`${INDENT}blocked: ${blocked.join(', ')}${more}; watch ${escapeTerminal(view.id)}; ${escapeTerminal(view.status_url)}`);
  for (const quiet of view.quiet_hosts.slice(0, 20)) {
    lines.push(`${INDENT}gone quiet: ${truncateTerminal(quiet.host, 200)}, no telemetry from any source since ${utc(quiet.last_heard)}`);
  }
  return lines.join('\n');
}

function findingText(view: WatchView, finding: Finding, previousSeverity: string | undefined): string {
  const raised = previousSeverity === undefined ? '' : ` (raised from ${previousSeverity})`;
  const outcome = finding.connected ? 'connected' : 'not through';
  const lines = [
    `${tag(view)} ${finding.severity.toUpperCase()}${raised} finding on ${truncateTerminal(finding.host, 200)}: ${truncateTerminal(processLabel(finding), 200)} -> ${truncateTerminal(destinationLabel(finding), 300)} (${outcome})`,
    `${INDENT}what: ${finding.kind.map((kind) => KIND_LABEL[kind]).join(', ')}`,
  ];
  const user = finding.process.user === undefined ? '' : ` as ${truncateTerminal(finding.process.user, 100)}`;
  if (finding.process.path !== undefined) lines.push(`${INDENT}process: ${truncateTerminal(finding.process.path, 400)}${user}`);
  if (finding.process.cmd_line !== undefined) lines.push(`${INDENT}command line: ${truncateTerminal(finding.process.cmd_line, 500)}`);
  lines.push(
    `${INDENT}seen ${finding.count} time${finding.count === 1 ? '' : 's'}, first ${utc(finding.first_seen)}, last ${utc(finding.last_seen)}`,
  );
  if (finding.retry_rate) lines.push(`${INDENT}retries: ${retryRateText(finding.retry_rate, utc)}`);
  for (const reason of finding.reasons.slice(0, 10)) lines.push(`${INDENT}- ${truncateTerminal(reason, 300)}`);
  return lines.join('\n');
}

function verdictText(view: WatchView, top: readonly Finding[]): string {
  const verdict = view.verdict ?? 'inconclusive';
  const lines = [
    `${tag(view)} VERDICT: containment ${verdict}; ${countsText(view)} over ${formatDurationShort(view.duration_ms)} on ${view.hosts.length} host${view.hosts.length === 1 ? '' : 's'}`,
  ];
  for (const reason of (view.verdict_reasons ?? []).slice(0, 10)) lines.push(`${INDENT}- ${truncateTerminal(reason, 300)}`);
  for (const finding of top.slice(0, 5)) {
    lines.push(
      `${INDENT}* ${finding.severity} on ${truncateTerminal(finding.host, 100)}: ${truncateTerminal(processLabel(finding), 120)} -> ${truncateTerminal(destinationLabel(finding), 200)}`,
    );
  }
  return lines.join('\n');
}
