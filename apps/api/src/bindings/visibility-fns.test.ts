import { describe, expect, it } from 'vitest';
import { presentBindings, presentEnv } from './visibility-fns.js';

const b = (kind: 'connector' | 'workflow_phase', id: string, name: string, detail = 'd') => ({ kind, id, name, detail });

describe('presentBindings', () => {
  it('keeps readable bindings in order and shows one hidden item per unreadable resource, after them', () => {
    const list = [b('connector', 'c1', 'alpha'), b('workflow_phase', 'w1', 'beta', 'phase a: X'), b('workflow_phase', 'w1', 'beta', 'phase b: Y'), b('workflow_phase', 'w2', 'gamma')];
    expect(presentBindings(list, (x) => x.name !== 'alpha' && x.name !== 'beta')).toEqual([
      b('workflow_phase', 'w2', 'gamma'),
      { kind: 'connector', hidden: true },
      { kind: 'workflow_phase', hidden: true },
    ]);
    expect(presentBindings(list, () => true)).toEqual(list);
  });
});

describe('presentEnv', () => {
  it('hides only secret references the caller may not read', () => {
    expect(presentEnv({ A: 'secret:open', B: 'secret:closed', C: 'literal', D: 'secret:closed' }, (n) => n === 'open')).toEqual({
      A: 'secret:open',
      B: { kind: 'secret', hidden: true },
      C: 'literal',
      D: { kind: 'secret', hidden: true },
    });
  });
});
