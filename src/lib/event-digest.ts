import { hash } from 'node:crypto';

/**
 * What a watch's seen set and its beacon histories keep of an event id: the first 11 base64url characters (66 bits) of its SHA-256. Vendor
 * ids run to 80 characters (MDE's device id, report id and timestamp), which also keeps every seen set past Redis's
 * compact encoding (`zset-max-listpack-value` 64); a digest is an eighth of one. Two ids of one watch's look-back
 * colliding is a 2^-66 chance per pair. One-shot `hash` (Node 20.12): a poll digests every event it reads, and
 * `createHash` costs about twice as much per id.
 */
export const eventDigest = (eventId: string): string => hash('sha256', eventId, 'base64url').slice(0, 11);
