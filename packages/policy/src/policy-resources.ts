/**
 * `resources` patterns: `*`, or `secret:<name glob>`, `connector:<name glob>`, `workflow:<name glob>`.
 */
import { compileGlobs, type StringMatcher } from './glob-fns.js';
import type { NamedResourceKind, ResourceAttrs } from './policy-types.js';
import { NAMED_RESOURCE_KINDS } from './policy-types.js';

export type ResourcePattern = { any: true } | { any: false; kind: NamedResourceKind; glob: string };

const NAMED_KINDS: ReadonlySet<string> = new Set(NAMED_RESOURCE_KINDS);

const isNamedKind = (kind: string): kind is NamedResourceKind => NAMED_KINDS.has(kind);

// Names never contain whitespace or control characters, so a glob with them is a typo.
const GLOB_CHARS = /^[^\s\p{Cc}]+$/u;

export const RESOURCE_PATTERN_HINT = 'expected "*", "secret:<name>", "connector:<name>" or "workflow:<name>"';

/** Parses one pattern, or explains what is wrong with it. */
export const parseResourcePattern = (pattern: string): ResourcePattern | { error: string } => {
  if (pattern === '*') return { any: true };
  const colon = pattern.indexOf(':');
  if (colon < 0) return { error: `"${pattern}" is not a resource pattern; ${RESOURCE_PATTERN_HINT}` };
  const kind = pattern.slice(0, colon);
  const glob = pattern.slice(colon + 1);
  if (!isNamedKind(kind)) return { error: `unknown resource type "${kind}"; ${RESOURCE_PATTERN_HINT}` };
  if (glob === '') return { error: `"${pattern}" has an empty name glob; use "${kind}:*" for every ${kind}` };
  if (!GLOB_CHARS.test(glob)) return { error: `"${pattern}" contains whitespace or control characters` };
  return { any: false, kind, glob };
};

/** Undefined when every resource matches, so evaluation can skip the call. */
export type ResourceMatcher = ((resource: ResourceAttrs) => boolean) | undefined;

/**
 * Compiles validated patterns. A resource without a name is matched as the empty name, so
 * `secret:*` covers every secret, named or not, while `secret:prod-*` needs a matching name.
 */
export const compileResourcePatterns = (patterns: readonly string[]): ResourceMatcher => {
  const globs: Record<NamedResourceKind, string[]> = { secret: [], connector: [], workflow: [] };
  for (const pattern of patterns) {
    const parsed = parseResourcePattern(pattern);
    if ('error' in parsed) continue;
    if (parsed.any) return undefined;
    globs[parsed.kind].push(parsed.glob);
  }
  const matcher = (list: string[]): StringMatcher | undefined => (list.length === 0 ? undefined : compileGlobs(list));
  const secret = matcher(globs.secret);
  const connector = matcher(globs.connector);
  const workflow = matcher(globs.workflow);
  return (resource) => {
    const m =
      resource.kind === 'secret'
        ? secret
        : resource.kind === 'connector'
          ? connector
          : resource.kind === 'workflow'
            ? workflow
            : undefined;
    return m !== undefined && m(resource.name ?? '');
  };
};
