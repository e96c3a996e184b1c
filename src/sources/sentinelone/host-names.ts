import { firstLabel } from '../../lib/net.js';
import type { HostRef } from '../types.js';

/** An agent UUID: 32 hex digits, with or without dashes. */
const AGENT_UUID = /^(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

const given = (value: string | undefined) => (value !== undefined && value.trim() !== '' ? value.trim() : undefined);

export const hostnameOf = (host: HostRef): string | undefined => given(host.hostname);

/** The IP a host is looked up by: only a host given by neither name nor agent UUID (addresses move between hosts). */
export const lookupIpOf = (host: HostRef): string | undefined => (hostnameOf(host) || agentUuidOf(host) ? undefined : given(host.ip));

export function agentUuidOf(host: HostRef): string | undefined {
  const id = given(host.edr_id)?.toLowerCase();
  return id !== undefined && AGENT_UUID.test(id) ? id.replaceAll('-', '') : undefined;
}

/** The names to search for a host: as given, and its first label, the agent's usual computer name. */
export function searchNames(hostname: string): string[] {
  const short = firstLabel(hostname);
  return short === hostname ? [hostname] : [hostname, short];
}

/** Whether an agent's computer name is the watched host: equal, or equal first labels when one side is short. */
export function agentIsNamed(agentName: string | null | undefined, hostname: string): boolean {
  if (!agentName) return false;
  const agent = agentName.toLowerCase();
  const wanted = hostname.toLowerCase();
  if (agent === wanted) return true;
  if (agent.includes('.') && wanted.includes('.')) return false;
  return firstLabel(agent) === firstLabel(wanted);
}
