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
 * Which characters a percent-encoder leaves literal (besides ASCII letters, digits and `-_.`,
 * which all of them leave), and whether it writes a space as `+`. Encoders disagree, and a child
 * prints whichever its language ships: each rule below is one such encoder's choice.
 */
const PERCENT_RULES: ReadonlyArray<{ literal: string; plus: boolean }> = [
  { literal: "!~*'()", plus: false }, // JavaScript encodeURIComponent
  { literal: "!~*'()", plus: true }, // the same, as form data
  { literal: '~', plus: false }, // RFC 3986 unreserved: Python quote(safe=''), curl --data-urlencode, Java/.NET
  { literal: '~', plus: true }, // Python quote_plus, Go url.QueryEscape
  { literal: '~/', plus: false }, // Python quote's default (safe='/')
  { literal: '~$&+:=@', plus: false }, // Go url.PathEscape
  { literal: '*', plus: true }, // WHATWG application/x-www-form-urlencoded (URLSearchParams)
];

/** Characters no percent-encoder or JSON escaper changes: a text of only these is its own encoding. */
const PLAIN = /^[A-Za-z0-9_.-]*$/;

/**
 * `text` percent-encoded under `rule`, from encodeURIComponent's output (UTF-8 bytes as
 * uppercase %XX, `!~*'()` literal): escape what the rule does not keep, unescape what it does.
 */
const percentEncode = (uri: string, { literal, plus }: { literal: string; plus: boolean }, lower: boolean): string => {
  let out = uri.replace(/[!~*'()]/g, (c) =>
    literal.includes(c) ? c : '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );
  out = out.replace(/%(2[0-9A-F]|3[A-F]|40)/g, (esc, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    if (c === ' ' && plus) return '+';
    return literal.includes(c) ? c : esc;
  });
  return lower ? out.replace(/%[0-9A-F]{2}/g, (esc) => esc.toLowerCase()) : out;
};

interface JsonRule {
  /** Non-ASCII as \uXXXX (astral characters as a surrogate pair): Python's ensure_ascii, Java's, PHP's default. */
  asciiOnly: boolean;
  /** `<`, `>`, `&` as \u escapes: Go's encoding/json default, .NET, Rails. */
  htmlSafe: boolean;
  /** U+2028 and U+2029 as \u escapes: Go always, JavaScript-safe serializers. */
  lineSeparators: boolean;
  /** `/` as `\/`: PHP's json_encode default. */
  slash: boolean;
  lower: boolean;
}

const u4 = (c: string) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');

/**
 * `text` JSON-escaped under `r`: JSON.stringify's escaping (the short escapes, other control
 * characters as lowercase \u00XX), then the rule's further escapes, then the hex case. Built on
 * JSON.stringify and whole-string replaces, as a character loop in JavaScript took milliseconds
 * for a key, paid before the child's first output.
 */
const jsonEscape = (text: string, r: JsonRule): string => {
  let out = JSON.stringify(text).slice(1, -1);
  if (r.htmlSafe) out = out.replace(/[<>&]/g, u4);
  if (r.slash) out = out.replace(/\//g, '\\/');
  // Without the u flag a regular expression sees an astral character as its two surrogates, escaped one by one.
  if (r.asciiOnly) out = out.replace(/[\u007f-\uffff]/g, u4);
  else if (r.lineSeparators) out = out.replace(/[\u2028\u2029]/g, u4);
  // Every backslash begins an escape, so a left-to-right match of either form never starts inside another.
  if (!r.lower) out = out.replace(/\\\\|\\u[0-9a-f]{4}/g, (esc) => esc.toUpperCase().replace('\\U', '\\u'));
  return out;
};

/**
 * The escaping choices that change `text`: a choice about characters it does not contain only
 * repeats another's output, so it is not made (most texts need one or two escapings, not 32).
 */
const jsonRules = (text: string): JsonRule[] => {
  const nonAscii = /[\u007f-\uffff]/.test(text);
  const html = /[<>&]/.test(text);
  const separators = /[\u2028\u2029]/.test(text);
  const slash = text.includes('/');
  // Hex case shows only in \uXXXX escapes: of control characters without a short escape, non-ASCII, `<>&`.
  const hexLetters = nonAscii || html || [...text].some((c) => c.charCodeAt(0) < 0x20 && !'\b\f\n\r\t'.includes(c));
  const choices = (present: boolean) => (present ? [false, true] : [false]);
  const rules: JsonRule[] = [];
  for (const asciiOnly of choices(nonAscii))
    for (const htmlSafe of choices(html))
      for (const lineSeparators of choices(separators && !asciiOnly))
        for (const escapeSlash of choices(slash))
          for (const lower of hexLetters ? [true, false] : [true])
            rules.push({ asciiOnly, htmlSafe, lineSeparators, slash: escapeSlash, lower });
  return rules;
};

/** Line widths of wrapped base64: 76 (coreutils `base64`, MIME) and 64 (`openssl base64`, PEM). */
const WRAP_WIDTHS = [76, 64];
/** The last line of wrapped base64 is masked on its own from this length (and joined to the line before it always). */
const WRAPPED_TAIL_ALONE = 16;

/**
 * Every form in which a child might print `value`: raw, base64 in all three alignments (and
 * base64url), base64 wrapped at 76 and 64 columns (line by line), percent-encoded by each
 * common encoder, JSON-string-escaped with each common escaping choice, and each line of a
 * multi-line value. Duplicates collapse: for a value of unreserved ASCII characters most
 * variants are the value itself.
 */
export const maskForms = (value: string): Buffer[] => {
  if (value.length < MIN_MASK_LENGTH) return [];
  const forms = new Set<string>();
  const add = (s: string) => {
    if (s.length >= MIN_MASK_LENGTH) forms.add(s);
  };
  const lines = value.split(/\r?\n/).map((l) => l.trim());
  add(value);
  if (!PLAIN.test(value)) {
    const uri = encodeURIComponent(value);
    // Rules that agree on every character the value has give one output: encode it once.
    const specials = [...new Set(value.replace(/[A-Za-z0-9_.-]/g, ''))].join('');
    const hasSpace = specials.includes(' ');
    const hexLetters = /%[0-9A-F]?[A-F]/.test(uri);
    const seen = new Set<string>();
    for (const rule of PERCENT_RULES) {
      const key = [...specials].filter((c) => rule.literal.includes(c)).join('') + (rule.plus && hasSpace ? '+' : '');
      if (seen.has(key)) continue;
      seen.add(key);
      for (const lower of hexLetters ? [false, true] : [false]) add(percentEncode(uri, rule, lower));
    }
    for (const rule of jsonRules(value)) add(jsonEscape(value, rule));
  }
  // A line of a multi-line value (a certificate's) is printed on its own as is, and only rarely
  // encoded on its own (the whole value encoded is covered above): the common encodings only,
  // as every variant of every line would triple the patterns of a key and slow the scan.
  for (const line of lines.length > 1 ? lines : []) {
    add(line);
    add(JSON.stringify(line).slice(1, -1));
    add(encodeURIComponent(line));
    add(encodeURIComponent(line).replace(/%20/g, '+'));
  }
  const bytes = Buffer.from(value, 'utf8');
  for (const offset of [0, 1, 2]) {
    const core = base64Core(bytes, offset);
    add(core);
    add(base64Url(core));
  }
  // Wrapped base64 of the value from its start: each line is its own pattern, so either line
  // ending matches. The last line is cut where the value's bits end (what follows the value,
  // a newline from `echo` say, changes the last character or two).
  const core = base64Core(bytes, 0);
  for (const width of WRAP_WIDTHS) {
    if (core.length <= width) continue; // one line: the core itself
    for (let at = 0; at < core.length; at += width) {
      const line = core.slice(at, at + width);
      const last = at + width >= core.length;
      // A short last line alone would set the matcher's shortest pattern, and with it how far
      // the scan may skip (a 4-character line made it 8× slower); printed wrapped, the last
      // line follows the one before it, so it is masked joined to that by either line ending.
      const variants = last && line.length < WRAPPED_TAIL_ALONE ? [] : [line];
      if (last) {
        const previous = core.slice(at - width, at);
        variants.push(`${previous}\n${line}`, `${previous}\r\n${line}`);
      }
      // Not base64url: nothing common wraps it, and it would double the patterns of a long value.
      for (const v of variants) add(v);
    }
  }
  return [...forms].map((f) => Buffer.from(f, 'utf8'));
};
