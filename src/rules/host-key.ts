import type { Host } from '../contracts/containment-request.js';

/** Identity of a watched host inside one watch (what the webhook said about it). */
export const hostKey = (host: Host): string => `${host.hostname?.toLowerCase() ?? ''}|${host.ip ?? ''}|${host.edr_id?.toLowerCase() ?? ''}`;
