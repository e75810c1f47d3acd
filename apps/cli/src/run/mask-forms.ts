/** Values shorter than this are not masked: masking `a` or `42` would shred ordinary output. */
export const MIN_MASK_LENGTH = 4;

const base64Url = (s: string) => s.replace(/\+/g, '-').replace(/\//g, '_');

/**
 * The part of `value`'s base64 that does not depend on its neighbours, when it starts `offset`
 * bytes (0–2) after a 3-byte boundary of the encoded data: only characters whose 6 bits all
 * come from the value.
 */
export const base64Core = (value: Buffer, offset: number): string => {
  const encoded = Buffer.concat([Buffer.alloc(offset), value]).toString('base64');
  const first = Math.ceil((offset * 8) / 6);
  const last = Math.floor(((offset + value.length) * 8) / 6); // exclusive
  return encoded.slice(first, last);
};

/**
 * Every form in which a child might print `value`: raw, base64 in all three alignments (and
 * base64url), percent-encoded, JSON-string-escaped, and each line of a multi-line value.
 */
export const maskForms = (value: string): Buffer[] => {
  if (value.length < MIN_MASK_LENGTH) return [];
  const forms = new Set<string>();
  const add = (s: string) => {
    if (s.length >= MIN_MASK_LENGTH) forms.add(s);
  };
  const texts = [value];
  const lines = value.split(/\r?\n/).map((l) => l.trim());
  if (lines.length > 1) for (const line of lines) if (line.length >= MIN_MASK_LENGTH) texts.push(line);
  for (const text of texts) {
    add(text);
    add(JSON.stringify(text).slice(1, -1));
    add(encodeURIComponent(text));
    add(encodeURIComponent(text).replace(/%20/g, '+'));
  }
  const bytes = Buffer.from(value, 'utf8');
  for (const offset of [0, 1, 2]) {
    const core = base64Core(bytes, offset);
    add(core);
    add(base64Url(core));
  }
  return [...forms].map((f) => Buffer.from(f, 'utf8'));
};
