/** A compiled case-insensitive `*` glob; callers pass lower-case text. */
export interface Glob {
  readonly pattern: string;
  /** The lower-cased pattern when it has no `*` (an exact match). */
  readonly literal: string | undefined;
  /** The lower-cased text before the first `*`: every match starts with it. */
  readonly prefix: string;
  test(lowerText: string): boolean;
}

const REGEX_SPECIALS = /[.+?^${}()|[\]\\]/g;

/** `*` matches any run of characters, path separators included; everything else is literal. */
export function compileGlob(pattern: string): Glob {
  const lower = pattern.toLowerCase();
  if (!lower.includes('*')) return { pattern, literal: lower, prefix: lower, test: (text) => text === lower };
  const parts = lower.split('*');
  const prefix = parts[0] ?? '';
  const suffix = parts[parts.length - 1] ?? '';
  if (parts.length === 2) {
    const minLength = prefix.length + suffix.length;
    return {
      pattern,
      literal: undefined,
      prefix,
      test: (text) => text.length >= minLength && text.startsWith(prefix) && text.endsWith(suffix),
    };
  }
  const regex = new RegExp(`^${parts.map((part) => part.replace(REGEX_SPECIALS, '\\$&')).join('.*')}$`, 's');
  // Most paths fail on the literal ends; only those that pass pay for the regex.
  return {
    pattern,
    literal: undefined,
    prefix,
    test: (text) => text.startsWith(prefix) && text.endsWith(suffix) && regex.test(text),
  };
}

/** True when any glob matches. */
export function anyGlob(globs: readonly Glob[], lowerText: string): boolean {
  for (const glob of globs) if (glob.test(lowerText)) return true;
  return false;
}
