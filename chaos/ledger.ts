import type { Finding } from '../src/contracts/finding.js';
import { BLOCKED_C2, FALLBACK_C2, type Scenario, type SimConnection, type SimHost } from '../src/dev/scenario/index.js';
import { findingIdOf } from '../test/helpers/slack-posts.js';
import { channelOf, type Stack } from './stack.js';

/** What went missing or twice, in one place a finding is kept. */
export interface Tally {
  lost: number;
  duplicated: number;
  /** One line per miss, for the scenario's log. */
  notes: string[];
}

const tupleOf = (finding: Finding): string =>
  [finding.host.toLowerCase(), (finding.process.path ?? finding.process.name).toLowerCase(), finding.dst.ip ?? finding.dst.hostname, finding.dst.port, finding.protocol].join('|');

interface Channel {
  label: string;
  host: SimHost;
  ip: string;
  port: number;
}

/** The implant's two channels after the block, each a finding every one of whose connections must be counted once. */
function implantChannels(scenario: Scenario): Channel[] {
  const host = scenario.fallback?.host;
  if (!host) return [];
  return [
    { label: `retries to ${BLOCKED_C2.ip}:${BLOCKED_C2.port}`, host, ip: BLOCKED_C2.ip, port: BLOCKED_C2.port },
    { label: `fallback to ${FALLBACK_C2.ip}:${FALLBACK_C2.port}`, host, ip: FALLBACK_C2.ip, port: FALLBACK_C2.port },
  ];
}

const onChannel = (connection: SimConnection, channel: Channel): boolean =>
  connection.host.hostname === channel.host.hostname && connection.dst.ip === channel.ip && connection.dst.port === channel.port;

const findingOnChannel = (finding: Finding, channel: Channel): boolean =>
  [channel.host.hostname, channel.host.fqdn, channel.host.ip].some((name) => name.toLowerCase() === finding.host.toLowerCase()) &&
  finding.dst.ip === channel.ip &&
  finding.dst.port === channel.port;

/**
 * Redis, the watch's own record: one finding per tuple, and each implant channel's finding counting exactly the
 * connections the scenario made in the window (the fake serves each once per read; look-backs, retried jobs and
 * killed workers re-read them, and the count must not move).
 */
export function redisTally(findings: readonly Finding[], scenario: Scenario, window: { from: Date; to: Date }): Tally {
  const tally: Tally = { lost: 0, duplicated: 0, notes: [] };
  const byTuple = new Map<string, number>();
  for (const finding of findings) byTuple.set(tupleOf(finding), (byTuple.get(tupleOf(finding)) ?? 0) + 1);
  for (const [tuple, count] of byTuple) {
    if (count > 1) {
      tally.duplicated += count - 1;
      tally.notes.push(`${count} findings for one tuple ${tuple}`);
    }
  }
  const connections = scenario.connections(window.from, window.to);
  for (const channel of implantChannels(scenario)) {
    const expected = connections.filter((connection) => onChannel(connection, channel)).length;
    const found = findings.filter((finding) => findingOnChannel(finding, channel));
    const counted = found.reduce((sum, finding) => sum + finding.count, 0);
    if (counted < expected) {
      tally.lost += expected - counted;
      tally.notes.push(`${channel.label}: ${counted} of ${expected} connections counted`);
    }
    if (counted > expected) {
      tally.duplicated += counted - expected;
      tally.notes.push(`${channel.label}: ${counted} counted for ${expected} connections`);
    }
  }
  return tally;
}

/** Slack: every finding the watch recorded is one threaded reply in its incident's channel, never two. */
export function slackTally(stack: Stack, incident: string, findings: readonly Finding[]): Tally {
  const tally: Tally = { lost: 0, duplicated: 0, notes: [] };
  const replies = (stack.slack?.messagesIn(channelOf(incident)) ?? []).filter((message) => message.thread_ts !== undefined);
  const posts = new Map<string, number>();
  for (const reply of replies) {
    const id = findingIdOf(reply);
    if (id !== undefined) posts.set(id, (posts.get(id) ?? 0) + 1);
  }
  for (const finding of findings) {
    const count = posts.get(finding.id) ?? 0;
    if (count === 0) {
      tally.lost += 1;
      tally.notes.push(`finding ${finding.id} (${tupleOf(finding)}) never posted to Slack`);
    }
    if (count > 1) {
      tally.duplicated += count - 1;
      tally.notes.push(`finding ${finding.id} posted ${count} times`);
    }
  }
  const verdicts = replies.filter((reply) => reply.reply_broadcast).length;
  if (verdicts !== 1) {
    tally.duplicated += Math.max(0, verdicts - 1);
    tally.lost += verdicts === 0 ? 1 : 0;
    tally.notes.push(`${verdicts} verdict posts`);
  }
  return tally;
}

/**
 * The JSON-lines file: every finding the watch recorded has a line, and no finding has two lines at one severity (a
 * raised severity is a new line by design).
 */
export function jsonlTally(stack: Stack, watchId: string, findings: readonly Finding[]): Tally {
  const tally: Tally = { lost: 0, duplicated: 0, notes: [] };
  const lines = stack.jsonLines().filter((line) => line.type === 'finding' && line.watch_id === watchId);
  const seen = new Map<string, number>();
  for (const line of lines) {
    const key = `${line.finding?.id}|${line.finding?.severity}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  for (const [key, count] of seen) {
    if (count > 1) {
      tally.duplicated += count - 1;
      tally.notes.push(`finding line ${key} written ${count} times`);
    }
  }
  for (const finding of findings) {
    if (!lines.some((line) => line.finding?.id === finding.id)) {
      tally.lost += 1;
      tally.notes.push(`finding ${finding.id} (${tupleOf(finding)}) has no line`);
    }
  }
  const verdicts = stack.jsonLines().filter((line) => line.type === 'verdict' && line.watch_id === watchId).length;
  if (verdicts !== 1) {
    tally.duplicated += Math.max(0, verdicts - 1);
    tally.lost += verdicts === 0 ? 1 : 0;
    tally.notes.push(`${verdicts} verdict lines`);
  }
  return tally;
}

export const addTallies = (tallies: readonly Tally[]): Tally => ({
  lost: tallies.reduce((sum, tally) => sum + tally.lost, 0),
  duplicated: tallies.reduce((sum, tally) => sum + tally.duplicated, 0),
  notes: tallies.flatMap((tally) => tally.notes),
});
