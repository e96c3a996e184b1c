import { SourceError } from '../source-error.js';
import type { SourceHttpClient } from '../http/source-http-client.js';
import type { HostRef, HostVisibility } from '../types.js';
import { agentIsNamed, agentUuidOf, hostnameOf, lookupIpOf, searchNames } from './host-names.js';
import { AgentsPageSchema, parseBody, type Agent } from './parse.js';

const PAGE_LIMIT = 1_000;
/** Values per request: the filters are comma lists in the query string. */
const VALUES_PER_REQUEST = 50;
const MAX_PAGES = 20;

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/** A host as SentinelOne sees it: whether it is visible, and the UUIDs of its agents. */
export interface ResolvedAgents extends HostVisibility {
  uuids: string[];
}

/**
 * Which hosts SentinelOne has an agent for, through `GET /web/api/v2.1/agents`: by computer name, agent UUID, or, for a
 * host given by IP only, by the agent's local interface addresses (`networkInterfaceInet__contains`).
 */
export async function resolveAgents(options: {
  sourceId: string;
  http: SourceHttpClient;
  authorization: string;
  hosts: readonly HostRef[];
  signal?: AbortSignal;
}): Promise<ResolvedAgents[]> {
  const { sourceId, http, hosts, signal } = options;
  // The filters take comma-separated lists, with no way to escape a comma; no computer name or address has one.
  const listable = (value: string | undefined): value is string => value !== undefined && !value.includes(',');
  const names = [...new Set(hosts.map(hostnameOf).filter(listable).flatMap(searchNames))];
  const uuids = [...new Set(hosts.map(agentUuidOf).filter((uuid): uuid is string => uuid !== undefined))];
  const ips = [...new Set(hosts.map(lookupIpOf).filter(listable))];
  const agents: Agent[] = [];
  const filters = [
    ...chunk(names, VALUES_PER_REQUEST).map((batch) => ({ computerName__contains: batch.join(',') })),
    ...chunk(uuids, VALUES_PER_REQUEST).map((batch) => ({ uuids: batch.join(',') })),
    ...chunk(ips, VALUES_PER_REQUEST).map((batch) => ({ networkInterfaceInet__contains: batch.join(',') })),
  ];
  for (const filter of filters) {
    let cursor: string | undefined;
    for (let page = 1; ; page += 1) {
      const response = await http.request<unknown>({
        method: 'GET',
        url: '/web/api/v2.1/agents',
        params: { ...filter, limit: PAGE_LIMIT, ...(cursor ? { cursor } : {}) },
        headers: { Authorization: options.authorization },
        signal,
      });
      const body = parseBody(sourceId, 'agents', AgentsPageSchema, response.data);
      agents.push(...body.data);
      const next = body.pagination?.nextCursor ?? undefined;
      if (!next || body.data.length === 0) break;
      if (next === cursor || page >= MAX_PAGES) throw new SourceError('terminal', sourceId, 'agents paging did not end; the service repeated its cursor');
      cursor = next;
    }
  }
  return hosts.map((host) => visibility(host, agents));
}

const uuidOf = (agent: Agent) => agent.uuid.replaceAll('-', '').toLowerCase();

/** The lookups match by substring: this keeps the agents that really are the host. */
function agentsOf(host: HostRef, agents: readonly Agent[]): Agent[] {
  const uuid = agentUuidOf(host);
  if (uuid) return agents.filter((agent) => uuidOf(agent) === uuid);
  const hostname = hostnameOf(host);
  if (hostname) return agents.filter((agent) => agentIsNamed(agent.computerName, hostname));
  const ip = lookupIpOf(host);
  return ip ? agents.filter((agent) => agent.networkInterfaces?.some((nic) => nic.inet?.includes(ip)) === true) : [];
}

function visibility(host: HostRef, agents: readonly Agent[]): ResolvedAgents {
  const matches = agentsOf(host, agents);
  const uuids = [...new Set(matches.map(uuidOf))];
  const latest = [...matches].sort((a, b) => (b.lastActiveDate ?? '').localeCompare(a.lastActiveDate ?? ''))[0];
  if (latest) return { host, visible: true, device_id: latest.uuid, uuids };
  const hostname = hostnameOf(host);
  const ip = lookupIpOf(host);
  const reason = agentUuidOf(host)
    ? 'no SentinelOne agent has this agent UUID'
    : hostname?.includes(',')
      ? 'not a computer name SentinelOne can look up (it holds a comma)'
      : hostname
        ? 'no SentinelOne agent with this computer name'
        : ip
          ? 'no SentinelOne agent has this local IP'
          : 'SentinelOne matches agents by computer name, agent UUID or local IP; none was given';
  return { host, visible: false, reason, uuids };
}
