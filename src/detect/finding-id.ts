import { createHash } from 'node:crypto';

export interface FindingIdentity {
  watchId: string;
  /** `hostIdentity` of the watched host. */
  host: string;
  /** Lower-cased image path, else name, else "". */
  process: string;
  /** Destination IP when known, else host name. */
  destination: string;
  port: number | undefined;
  protocol: string;
}

/**
 * The stable id of a (watch, host, process, destination, port, protocol) tuple: 16 hex characters, safe as a
 * Redis hash field and a Slack button value. Every repeat of the tuple, from any worker, gets the same id.
 */
export function findingId(identity: FindingIdentity): string {
  const canonical = JSON.stringify([
    identity.watchId,
    identity.host,
    identity.process,
    identity.destination,
    identity.port ?? null,
    identity.protocol,
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}
