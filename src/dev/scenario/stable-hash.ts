import { createHash } from 'node:crypto';

/** 32-bit FNV-1a: cheap, stable across runs and platforms. */
export function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A uniform-looking fraction in [0, 1) derived from `text`. */
export const unitFraction = (text: string): number => hash32(text) / 2 ** 32;

export const sha1Hex = (text: string): string => createHash('sha1').update(text).digest('hex');
