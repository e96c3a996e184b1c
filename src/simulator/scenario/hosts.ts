import { hash32, sha1Hex } from './stable-hash.js';
import type { SimHost, SimProcess } from './types.js';

export const DOMAIN = 'corp.example';

/** The three finance workstations of every scenario: FIN-WS-041..043, 10.20.1.41-43. */
export const SIM_HOSTS: readonly SimHost[] = [41, 42, 43].map((n) => {
  const fqdn = `fin-ws-0${n}.${DOMAIN}`;
  return { hostname: `FIN-WS-0${n}`, fqdn, ip: `10.20.1.${n}`, device_id: sha1Hex(`device:${fqdn}`) };
});

/** The signed-in user of each workstation. */
export const HOST_USERS: Readonly<Record<string, string>> = {
  'FIN-WS-041': 'CORP\\alice.moreau',
  'FIN-WS-042': 'CORP\\bernard.klein',
  'FIN-WS-043': 'CORP\\chloe.tanaka',
};

export const SYSTEM_USER = 'NT AUTHORITY\\SYSTEM';

export interface ProcessImage {
  name: string;
  path: string;
  cmd_line: string;
  parent: string;
  company?: string;
  /** Runs as SYSTEM rather than as the signed-in user. */
  system: boolean;
}

/** The same image on every host has the same hash; the pid differs per host. */
export function processOn(host: SimHost, image: ProcessImage): SimProcess {
  return {
    name: image.name,
    path: image.path,
    cmd_line: image.cmd_line,
    sha1: sha1Hex(`image:${image.path.toLowerCase()}`),
    pid: 1_000 + (hash32(`${host.hostname}:${image.cmd_line}`) % 30_000) * 4,
    user: image.system ? SYSTEM_USER : (HOST_USERS[host.hostname] ?? `CORP\\${host.hostname.toLowerCase()}`),
    parent: image.parent,
    company: image.company,
  };
}
