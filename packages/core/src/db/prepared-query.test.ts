import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTimestamptz } from './prepared-query.js';

// node-postgres' own timestamptz parser, the one parseTimestamptz must agree with.
const pg = createRequire(import.meta.url)('pg') as { types: { getTypeParser: (oid: number) => (s: string) => Date } };
const driverParse = pg.types.getTypeParser(1184);

const pad = (n: number, w: number) => String(n).padStart(w, '0');

describe('parseTimestamptz', () => {
  it('gives the Date node-postgres gives for every ISO timestamptz Postgres prints', () => {
    fc.assert(
      fc.property(
        fc.record({
          year: fc.integer({ min: 1000, max: 9999 }),
          month: fc.integer({ min: 1, max: 12 }),
          day: fc.integer({ min: 1, max: 28 }),
          hour: fc.integer({ min: 0, max: 23 }),
          minute: fc.integer({ min: 0, max: 59 }),
          second: fc.integer({ min: 0, max: 59 }),
          fraction: fc.option(fc.stringMatching(/^[0-9]{1,6}$/), { nil: undefined }),
          offset: fc.constantFrom('+00', '-03', '+05:30', '-09:30', '+14'),
        }),
        (t) => {
          const text = `${pad(t.year, 4)}-${pad(t.month, 2)}-${pad(t.day, 2)} ${pad(t.hour, 2)}:${pad(t.minute, 2)}:${pad(t.second, 2)}${t.fraction === undefined ? '' : `.${t.fraction}`}${t.offset}`;
          expect(parseTimestamptz(text)?.getTime()).toBe(driverParse(text).getTime());
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('leaves what it does not recognise to the driver', () => {
    for (const text of [
      'infinity',
      '-infinity',
      '0044-03-15 12:00:00+00 BC',
      '0099-01-01 00:00:00+00',
      '2026-12-01T10:01:57Z',
      '2026-12-01 10:01:57',
    ])
      expect(parseTimestamptz(text)).toBeUndefined();
  });
});
