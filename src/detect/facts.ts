import type { ConnectionEvent } from '../contracts/connection-event.js';
import type { WatchedHost } from '../contracts/watch.js';
import type { RuleSubject } from './allow-rules.js';
import { normalizeHostname, type ParsedIp } from '../lib/net.js';
import { basename, versionlessPath } from '../lib/process-identity.js';

/** What one event says, normalized once for every check the detector runs on it. */
export interface EventFacts extends RuleSubject {
  /** Lower-cased image path without folder versions (`processKey`), else name, else "" (firewall telemetry has no process). */
  processKey: string;
}

/** Normalizes an event of `host` whose destination IP was already normalized and parsed. */
export function factsOf(event: ConnectionEvent, host: WatchedHost, dstIp: string | undefined, dstParsed: ParsedIp | undefined): EventFacts {
  const process = event.process;
  const path = process?.path === undefined || process.path === '' ? undefined : process.path.toLowerCase();
  const name = process?.name === undefined || process.name === '' ? undefined : process.name.toLowerCase();
  return {
    host,
    path,
    exe: path === undefined ? name : basename(path),
    sha1: process?.sha1 === undefined || process.sha1 === '' ? undefined : process.sha1.toLowerCase(),
    signer: process?.signer,
    dstIp,
    dstParsed,
    dstHostname: normalizeHostname(event.dst_endpoint.hostname),
    port: event.dst_endpoint.port,
    protocol: event.protocol.toLowerCase(),
    processKey: path === undefined ? (name ?? '') : versionlessPath(path),
  };
}

/** The image name as telemetry wrote it. */
export function processName(event: ConnectionEvent): string | undefined {
  const process = event.process;
  if (process?.path !== undefined && process.path !== '') return basename(process.path);
  if (process?.name !== undefined && process.name !== '') return process.name;
  return undefined;
}
