import { describe, expect, it } from 'vitest';
import { formatFieldPath } from './field-path.js';

describe('formatFieldPath', () => {
  it('joins keys with dots and indexes with brackets', () => {
    expect(formatFieldPath(['statements', 2, 'conditions'])).toBe('statements[2].conditions');
    expect(formatFieldPath(['tags', 'environment'])).toBe('tags.environment');
    expect(formatFieldPath([0, 'name'])).toBe('[0].name');
  });
  it('gives an empty string for the root', () => {
    expect(formatFieldPath([])).toBe('');
  });
});
