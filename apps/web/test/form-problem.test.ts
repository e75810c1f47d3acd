import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/api/problem';
import { applyProblem, fieldsIn, listItemToField } from '../src/ui/form-problem';

const apiError = (errors: Array<{ path: string; message: string }>) => new ApiError({ title: 'Validation failed', status: 400, errors });

describe('applyProblem', () => {
  it('puts field errors next to their fields (mapped to form paths) and keeps the rest for the alert', () => {
    const set: Array<[string, string]> = [];
    const problem = applyProblem(
      apiError([
        { path: 'roles[1]', message: 'unknown role' },
        { path: 'expiresAt', message: 'must be in the future' },
        { path: 'limit', message: 'too many tokens' },
      ]),
      (path, e) => set.push([path, e.message ?? '']),
      { isField: fieldsIn(['roles', 'expires']), toFormPath: (p) => (p === 'expiresAt' ? 'expires' : listItemToField(p)) },
    );
    expect(set).toEqual([
      ['roles', 'unknown role'],
      ['expires', 'must be in the future'],
    ]);
    expect(problem.title).toBe('Validation failed');
    expect(problem.errors).toEqual([{ path: 'limit', message: 'too many tokens' }]);
  });

  it('turns a non-API error into the generic problem with no field errors', () => {
    const set: string[] = [];
    const problem = applyProblem(new TypeError('boom'), (path) => set.push(path), { isField: () => true });
    expect(set).toEqual([]);
    expect(problem).toMatchObject({ title: 'Unexpected error', status: 0, errors: [] });
  });

  it('maps list items and dotted indexes to their list field', () => {
    expect(listItemToField('groups[3]')).toBe('groups');
    expect(listItemToField('groups.3')).toBe('groups');
    expect(listItemToField('tags.0.key')).toBe('tags.0.key');
  });
});
