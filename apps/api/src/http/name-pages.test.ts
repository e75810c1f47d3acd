import { describe, expect, it } from 'vitest';
import { visiblePage, type NameCursor } from './name-pages.js';

const rows = Array.from({ length: 1000 }, (_, i) => ({ name: `n${String(i).padStart(4, '0')}`, id: `id${i}` }));
const fetchFrom = (after: NameCursor | undefined, n: number) =>
  Promise.resolve(rows.filter((r) => !after || r.name > after.name).slice(0, n));

describe('visiblePage', () => {
  it('reads ahead past hidden rows until the page is full (limit + 1 to know there is more)', async () => {
    const everyHundredth = (r: { name: string }) => Number(r.name.slice(1)) % 100 === 0;
    const page = await visiblePage(fetchFrom, everyHundredth, 3, undefined, 50);
    expect(page.map((r) => r.name)).toEqual(['n0000', 'n0100', 'n0200', 'n0300']);
  });

  it('continues after a cursor and stops at the end of the table', async () => {
    const page = await visiblePage(fetchFrom, (r) => r.name >= 'n0995', 10, { name: 'n0996', id: 'id996' }, 7);
    expect(page.map((r) => r.name)).toEqual(['n0997', 'n0998', 'n0999']);
  });
});
