import { SourceError } from '../source-error.js';
import type { SourceHttpClient } from '../http/source-http-client.js';
import type { HostRef, HostVisibility } from '../types.js';
import { agentIsNamed, agentUuidOf, hostnameOf, searchNames } from './host-names.js';
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

/** Which hosts SentinelOne has an agent for, through `GET /web/api/v2.1/agents`. */
export async function resolveAgents(options: {
  sourceId: string;
  http: SourceHttpClient;
  authorization: string;
  hosts: readonly HostRef[];
  signal?: AbortSignal;
}): Promise<HostVisibility[]> {
  const { sourceId, http, hosts, signal } = options;
  // The filters take comma-separated lists, with no way to escape a comma; no computer name has one.
  const names = [...new Set(hosts.map(hostnameOf).filter((name): name is string => name !== undefined && !name.includes(',')).flatMap(searchNames))];
  const uuids = [...new Set(hosts.map(agentUuidOf).filter((uuid): uuid is string => uuid !== undefined))];
  const agents: Agent[] = [];
  const filters = [
    ...chunk(names, VALUES_PER_REQUEST).map((batch) => ({ computerName__contains: batch.join(',') })),
    ...chunk(uuids, VALUES_PER_REQUEST).map((batch) => ({ uuids: batch.join(',') })),
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

function visibility(host: HostRef, agents: readonly Agent[]): HostVisibility {
  const uuid = agentUuidOf(host);
  const hostname = hostnameOf(host);
  const matches = uuid
    ? agents.filter((agent) => agent.uuid.replaceAll('-', '').toLowerCase() === uuid)
    : hostname
      ? agents.filter((agent) => agentIsNamed(agent.computerName, hostname))
      : [];
  const latest = [...matches].sort((a, b) => (b.lastActiveDate ?? '').localeCompare(a.lastActiveDate ?? ''))[0];
  if (latest) return { host, visible: true, device_id: latest.uuid };
  if (uuid) return { host, visible: false, reason: 'no SentinelOne agent has this agent UUID' };
  if (hostname?.includes(',')) return { host, visible: false, reason: 'not a computer name SentinelOne can look up (it holds a comma)' };
  if (hostname) return { host, visible: false, reason: 'no SentinelOne agent with this computer name' };
  return { host, visible: false, reason: 'SentinelOne matches agents by computer name or agent UUID; neither was given' };
}
