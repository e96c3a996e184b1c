const NAMED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** XML's five named entities (case-sensitive, as XML has them) and its decimal and hexadecimal character references. */
const ENTITY = /&(?:(lt|gt|amp|quot|apos)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));/g;

/**
 * Text as it was before it was written into XML. One pass, so "&amp;lt;" is "&lt;", not "<". A reference to no
 * character (NUL, a surrogate, past U+10FFFF) is left as written.
 */
export function unescapeXml(value: string): string {
  if (!value.includes('&')) return value;
  return value.replace(ENTITY, (match, name: string | undefined, decimal: string | undefined, hex: string | undefined) => {
    if (name !== undefined) return NAMED[name] ?? match;
    const code = decimal !== undefined ? Number(decimal) : parseInt(hex ?? '', 16);
    const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
    return valid ? String.fromCodePoint(code) : match;
  });
}
