import { randomBytes } from 'node:crypto';
import { ADMIN_ROLE } from '@nembl/core';
import type { DataSource, EntityManager } from 'typeorm';
import { hashPassword } from '../auth/credential-fns.js';
import type { CompanyRepository } from '../companies/company-repository.js';
import type { UserRepository } from '../users/user-repository.js';

export interface BootstrapResult {
  created: boolean;
  email: string;
  /** Only when generated: shown once, never stored in plaintext. */
  generatedPassword?: string;
}

/**
 * First start: when no company exists, create one with its first Admin. Serialized with an
 * advisory lock so several API processes starting together create exactly one.
 */
export const bootstrapFirstCompany = async (deps: {
  dataSource: DataSource;
  companies: CompanyRepository;
  users: UserRepository;
  onCompanyCreated: (em: EntityManager, companyId: string) => Promise<void>;
  company: string;
  email: string;
  password: string | undefined;
}): Promise<BootstrapResult> =>
  deps.dataSource.transaction(async (em) => {
    await deps.companies.lockBootstrap(em);
    if (await deps.companies.anyExists(em)) return { created: false, email: deps.email };
    const generatedPassword = deps.password ? undefined : randomBytes(18).toString('base64url');
    const company = await deps.companies.create(em, deps.company);
    await deps.users.insert(em, company.id, {
      email: deps.email.toLowerCase(),
      name: 'Administrator',
      passwordHash: await hashPassword(deps.password ?? generatedPassword!),
      roles: [ADMIN_ROLE],
      groups: [],
    });
    await deps.onCompanyCreated(em, company.id);
    return { created: true, email: deps.email, ...(generatedPassword ? { generatedPassword } : {}) };
  });
