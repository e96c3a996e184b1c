import { createHash } from 'node:crypto';

/**
 * What a watch's seen set keeps of an event id: 8 bytes of its SHA-256 in base64url (11 characters). Vendor ids
 * run to 80 characters (MDE's device id, report id and timestamp), which also keeps every seen set past Redis's
 * compact encoding (`zset-max-listpack-value` 64); a digest is an eighth of one. Two ids of one watch's look-back
 * colliding is a 2^-64 chance per pair.
 */
export const eventDigest = (eventId: string): string => createHash('sha256').update(eventId).digest().subarray(0, 8).toString('base64url');
