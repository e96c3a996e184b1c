/**
 * S1QL 1.0 for Deep Visibility. Host names and agent ids reach a query only as `s1qlString` literals, so a name
 * cannot add an operator, a field or a second condition.
 */

/** A double-quoted S1QL string: backslash and quote escaped (the escaping pySigma's S1 backends use). */
export function s1qlString(value: string): string {
  return `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

export interface AgentMatch {
  /** Agent (computer) names, matched case-insensitively as substrings; callers keep the exact ones. */
  names: readonly string[];
  /** Agent UUIDs. */
  uuids: readonly string[];
}

export const isEmptyMatch = (match: AgentMatch): boolean => match.names.length + match.uuids.length === 0;

const list = (values: readonly string[]) => `(${values.map(s1qlString).join(', ')})`;

const IP_CONNECT = 'EventType = "IP Connect"';

/** Every `IP Connect` event of the agents: outgoing and incoming, the caller reads the direction. */
export function buildIpConnectQuery(match: AgentMatch): string {
  const terms: string[] = [];
  if (match.names.length > 0) terms.push(`AgentName In Contains Anycase ${list(match.names)}`);
  if (match.uuids.length > 0) terms.push(`AgentUUID In ${list(match.uuids)}`);
  // An empty host filter would read every agent of the account.
  if (terms.length === 0) throw new RangeError('no agent to query');
  return `${IP_CONNECT} AND (${terms.join(' OR ')})`;
}

/**
 * Every outgoing `IP Connect` event of every agent the token (and `account_ids`/`site_ids`) can see: the estate
 * read, deliberately without an agent term. Incoming events are left out here, not by the caller, so that they do
 * not use up the read's event cap.
 */
export function buildEstateIpConnectQuery(): string {
  return `${IP_CONNECT} AND NetEventDirection = "OUTGOING"`;
}
