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
  /** The parent's full image path. */
  parent_path: string;
  company?: string;
  /** Runs as SYSTEM rather than as the signed-in user. */
  system: boolean;
}

/** The same image on every host has the same hash; the pid differs per host. */
export function processOn(host: SimHost, image: ProcessImage, startedAt?: number): SimProcess {
  return {
    name: image.name,
    path: image.path,
    cmd_line: image.cmd_line,
    sha1: sha1Hex(`image:${image.path.toLowerCase()}`),
    pid: 1_000 + (hash32(`${host.hostname}:${image.cmd_line}`) % 30_000) * 4,
    user: image.system ? SYSTEM_USER : (HOST_USERS[host.hostname] ?? `CORP\\${host.hostname.toLowerCase()}`),
    parent: image.parent,
    parent_path: image.parent_path,
    ...(startedAt === undefined ? {} : { started_at: startedAt }),
    company: image.company,
  };
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
/** Workstations restart weekly (patch day), each at its own hour. */
export const REBOOT_PERIOD_MS = 7 * 24 * HOUR;

/** The host's last boot before the block: one to two days earlier, never after it. */
function lastBootBefore(host: SimHost, blockedAt: number): number {
  return blockedAt - 26 * HOUR - (hash32(`boot:${host.hostname}`) % (24 * HOUR));
}

/**
 * When the instance of `image` running on `host` at `time` started: the weekly boots before the block, plus a
 * fixed delay per image after each (services seconds after boot, user applications minutes later, at logon). No
 * boot falls after the block, so nothing the background runs looks started after it.
 */
export function bootStartedAt(host: SimHost, image: ProcessImage, blockedAt: number): (time: number) => number {
  const lastBoot = lastBootBefore(host, blockedAt);
  const delay = image.system ? 5 * SECOND + (hash32(`start:${host.hostname}:${image.cmd_line}`) % (55 * SECOND)) : 2 * MINUTE + (hash32(`logon:${host.hostname}:${image.cmd_line}`) % (8 * MINUTE));
  return (time) => {
    const bootsBack = time >= lastBoot ? 0 : Math.ceil((lastBoot - time) / REBOOT_PERIOD_MS);
    const started = lastBoot - bootsBack * REBOOT_PERIOD_MS + delay;
    return started <= time ? started : started - REBOOT_PERIOD_MS;
  };
}
