import { findUnstorableText, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '@nembl/core';
import type { IncomingHttpHeaders } from 'node:http';
import express, { type RequestHandler } from 'express';

/**
 * The one path by which a request's URI and body are decoded. Whatever cannot be decoded — bad
 * percent-encoding, a body that is not what its Content-Encoding says, text Postgres cannot
 * store — becomes a 400 (or 415) naming the parameter, before any route sees it.
 */

/** What the JSON parser inflates; anything else (zstd exists only on some Node versions) → 415. */
export const ACCEPTED_CONTENT_ENCODINGS = ['identity', 'gzip', 'deflate', 'br'] as const;

const BODY_LIMIT = '1mb';
/** `BODY_LIMIT` in bytes, as body-parser reads it. */
const BODY_LIMIT_BYTES = 1024 * 1024;

const decodes = (s: string): boolean => {
  try {
    decodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
};

const badEncoding = (name: string) => ValidationError.field(name, 'is not valid percent-encoded UTF-8');

/** `/api/v1/users/{id}` → a matcher that names the template parameter at each segment. */
const compileTemplate = (template: string) => {
  const parts = template.split('/');
  return (segments: string[]): ((i: number) => string | undefined) | undefined => {
    if (segments.length !== parts.length) return undefined;
    const ok = parts.every((p, i) => p.startsWith('{') || p === segments[i]);
    return ok ? (i) => (parts[i]!.startsWith('{') ? parts[i]!.slice(1, -1) : undefined) : undefined;
  };
};

/**
 * The parameter a path or query string is not valid percent-encoded UTF-8 in: the path parameter
 * (named from `templates`, e.g. the OpenAPI paths), the query parameter, `path` when the path
 * matches no template; undefined when the URI is well formed.
 */
export const malformedUriParameter = (templates: readonly string[]) => {
  const matchers = templates.map(compileTemplate);
  return (raw: string): string | undefined => {
    const q = raw.indexOf('?');
    const pathPart = q === -1 ? raw : raw.slice(0, q);
    // Most paths carry no escapes at all: nothing to decode, nothing to check.
    if (pathPart.includes('%')) {
      const segments = pathPart.split('/');
      const bad = segments.findIndex((s) => !decodes(s));
      if (bad !== -1) {
        const literal = segments.map((s, i) => (i === bad || !decodes(s) ? s : decodeURIComponent(s)));
        let name: string | undefined;
        for (const m of matchers) {
          name = m(literal)?.(bad);
          if (name) break;
        }
        return name ?? 'path';
      }
    }
    if (q !== -1) {
      for (const pair of raw.slice(q + 1).split('&')) {
        const [key = '', value = ''] = pair.replace(/\+/g, ' ').split(/=(.*)/s);
        if (!decodes(key)) return 'query';
        if (!decodes(value)) return decodeURIComponent(key);
      }
    }
    return undefined;
  };
};

/** Refuses a path or query string that is not valid percent-encoded UTF-8, naming the parameter. */
export const wellFormedUri = (templates: readonly string[]): RequestHandler => {
  const malformed = malformedUriParameter(templates);
  return (req, _res, next) => {
    const name = malformed(req.originalUrl);
    if (name !== undefined) throw badEncoding(name);
    next();
  };
};

/** The first text in a decoded query that can never be stored, as a 400 naming it. */
export const assertStorableQuery = (query: unknown): void => {
  const bad = findUnstorableText(query);
  if (bad) throw ValidationError.field(bad.path || 'query', bad.message);
};

/** The first text in a decoded body that can never be stored, as a 400 naming it. */
export const assertStorableBody = (body: unknown): void => {
  const bad = findUnstorableText(body);
  if (bad) throw ValidationError.field(bad.path || 'body', bad.message);
};

/** Text that can never be stored, anywhere in the decoded body or query. */
const storableInput: RequestHandler = (req, _res, next) => {
  assertStorableQuery(req.query);
  assertStorableBody(req.body);
  next();
};

/** Maps what body-parser reports to problems; everything it raises is the client's doing. */
const bodyError = (err: { type?: string; status?: number }, contentEncoding: string): Error => {
  switch (err.type) {
    case 'entity.parse.failed':
      return new ValidationError('The request body is not valid JSON', {
        errors: [{ path: 'body', message: 'malformed JSON' }],
      });
    case 'entity.too.large':
      return new PayloadTooLargeError('The request body is larger than 1 MiB');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError('Unsupported request encoding; send UTF-8 JSON');
    default:
      if (contentEncoding !== 'identity') {
        return new ValidationError(`The request body is not valid ${contentEncoding} data`, {
          errors: [{ path: 'body', message: `does not match Content-Encoding: ${contentEncoding}` }],
        });
      }
      return new ValidationError('The request body could not be read', {
        errors: [{ path: 'body', message: 'could not be read' }],
      });
  }
};

const PLAIN_JSON_TYPE = /^application\/json\s*(;\s*charset=utf-8\s*)?$/i;

/**
 * A body `jsonBody()` would take without inflating, converting or refusing it for its size: a
 * Content-Length within the limit (no chunked transfer), no Content-Encoding, `application/json`
 * in UTF-8. Only these are decoded outside Express (`decodePlainJson`); every other body goes
 * through `jsonBody()` itself.
 */
export const isPlainJsonBody = (headers: IncomingHttpHeaders): boolean => {
  if (headers['transfer-encoding'] !== undefined || headers['content-encoding'] !== undefined) return false;
  const length = Number(headers['content-length']);
  return length > 0 && length <= BODY_LIMIT_BYTES && PLAIN_JSON_TYPE.test(headers['content-type'] ?? '');
};

/**
 * A plain JSON body (`isPlainJsonBody`) decoded as `jsonBody()` decodes it: UTF-8 without its
 * byte order mark, strict (an object or an array), the same 400 for malformed JSON. The text
 * check (`assertStorableBody`) is the caller's next step, as in Express.
 */
export const decodePlainJson = (raw: Buffer): unknown => {
  let text = raw.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // JSON's own whitespace (space, tab, LF, CR) may come first, as body-parser allows.
  const first = /^[ \t\n\r]*(.)/s.exec(text)?.[1];
  if (first === '{' || first === '[') {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // the same answer as a strict violation, below
    }
  }
  throw bodyError({ type: 'entity.parse.failed' }, 'identity');
};

/**
 * JSON bodies: the encoding check, the parser (1 MiB after inflation) and the text check, with
 * every failure mapped here. Mount after authentication so checks run 401 → 400.
 */
export const jsonBody = (): RequestHandler[] => {
  const parse = express.json({ limit: BODY_LIMIT, strict: true, type: ['application/json', 'application/*+json'] });
  const decode: RequestHandler = (req, res, next) => {
    const contentEncoding = (req.get('content-encoding') ?? 'identity').trim().toLowerCase();
    const hasBody = req.get('transfer-encoding') !== undefined || (req.get('content-length') ?? '0') !== '0';
    if (hasBody && !(ACCEPTED_CONTENT_ENCODINGS as readonly string[]).includes(contentEncoding)) {
      next(
        new UnsupportedMediaTypeError(
          `Content-Encoding ${contentEncoding} is not accepted; use ${ACCEPTED_CONTENT_ENCODINGS.join(', ')}`,
          {
            errors: [{ path: 'Content-Encoding', message: `must be one of ${ACCEPTED_CONTENT_ENCODINGS.join(', ')}` }],
          },
        ),
      );
      return;
    }
    parse(req, res, (err?: unknown) => next(err ? bodyError(err as { type?: string }, contentEncoding) : undefined));
  };
  return [decode, storableInput];
};
