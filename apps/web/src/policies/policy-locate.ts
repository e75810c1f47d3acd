// Where in the JSON text an API error path (`statements[2].conditions`) points, so the editor can
// show the message at the statement it names.
import { syntaxTree } from '@codemirror/language';
import type { EditorState } from '@codemirror/state';
import type { SyntaxNode } from '@lezer/common';

export const pathSegments = (path: string): Array<string | number> =>
  path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

const children = (node: SyntaxNode): SyntaxNode[] => {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) if (!['{', '}', '[', ']', ',', ':', '⚠'].includes(c.name)) out.push(c);
  return out;
};

const propertyName = (state: EditorState, prop: SyntaxNode): string | null => {
  const nameNode = prop.getChild('PropertyName');
  if (!nameNode) return null;
  try {
    return JSON.parse(state.sliceDoc(nameNode.from, nameNode.to)) as string;
  } catch {
    return null;
  }
};

/** The range of the deepest node the path reaches (the whole document if none). */
export const locatePath = (state: EditorState, path: string): { from: number; to: number } => {
  const tree = syntaxTree(state);
  let node: SyntaxNode | null = tree.topNode.firstChild;
  let range = { from: 0, to: Math.min(state.doc.length, state.doc.line(1).to) };
  if (node) range = { from: node.from, to: node.to };
  for (const seg of pathSegments(path)) {
    if (!node) break;
    if (typeof seg === 'number' && node.name === 'Array') {
      const item: SyntaxNode | undefined = children(node)[seg];
      if (!item) break;
      node = item;
      range = { from: item.from, to: item.to };
    } else if (typeof seg === 'string' && node.name === 'Object') {
      const prop: SyntaxNode | undefined = children(node).find((p) => p.name === 'Property' && propertyName(state, p) === seg);
      if (!prop) break;
      const nameNode = prop.getChild('PropertyName');
      range = nameNode ? { from: nameNode.from, to: prop.to } : { from: prop.from, to: prop.to };
      node = children(prop).find((c) => c.name !== 'PropertyName') ?? null;
    } else break;
  }
  return range;
};

/** "Statement 3 (deny-prod-update), conditions" for people; the API's path for machines. */
export const describePath = (path: string, doc: unknown): string => {
  const segs = pathSegments(path);
  if (segs[0] === 'statements' && typeof segs[1] === 'number') {
    const st = (doc as { statements?: Array<{ sid?: string }> } | null)?.statements?.[segs[1]];
    const rest = segs.slice(2).join('.');
    return `Statement ${segs[1] + 1}${st?.sid ? ` (${st.sid})` : ''}${rest ? `, ${rest}` : ''}`;
  }
  return path || 'Document';
};
