/**
 * Makes telemetry safe to print on a terminal: control characters (ANSI escape sequences start with ESC), C1 controls
 * and bidirectional overrides are shown as visible escapes such as `\x1b` or `\u202e` instead of being interpreted.
 */
export function escapeTerminal(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
      out += `\\x${code.toString(16).padStart(2, '0')}`;
    } else if ((code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069) || code === 0x2028 || code === 0x2029) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else {
      out += char;
    }
  }
  return out;
}

/** Escapes, then shortens to at most `max` characters with a visible count of what was left out. */
export function truncateTerminal(text: string, max: number): string {
  const escaped = escapeTerminal(text);
  const chars = Array.from(escaped);
  if (chars.length <= max) return escaped;
  const keep = Math.max(0, max - 30);
  return `${chars.slice(0, keep).join('')}… (truncated, ${chars.length - keep} more characters)`;
}
