import type { CompanyRow } from '@nembl/core';
import type { CompanyRepository } from '../companies/company-repository.js';

/**
 * `companies.get` remembered per process. A company's id, name and creation time never change
 * once it exists (nothing updates or deletes a company row; its policy version lives beside them
 * and is read by the policy cache on its own), so `GET /me` need not ask Postgres who the
 * caller's company is on every request. Bounded: the oldest entry goes first.
 */
export const cachedCompanyLookup = (
  companies: Pick<CompanyRepository, 'get'>,
  maxEntries = 10_000,
): Pick<CompanyRepository, 'get'> => {
  const known = new Map<string, CompanyRow>();
  return {
    get: async (id: string): Promise<CompanyRow> => {
      const hit = known.get(id);
      if (hit) return hit;
      const row = await companies.get(id);
      if (known.size >= maxEntries) known.delete(known.keys().next().value!);
      known.set(id, row);
      return row;
    },
  };
};
