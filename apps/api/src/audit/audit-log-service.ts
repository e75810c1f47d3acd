import { chainVerifier, EMPTY_CHAIN, type ChainVerification } from '@nembl/core';
import type { AuditRepository } from './audit-repository.js';

export const VERIFY_CHUNK = 1000;

export const auditLogServiceFactory = ({ repo, chunkSize = VERIFY_CHUNK }: { repo: AuditRepository; chunkSize?: number }) => ({
  list: repo.list,

  /**
   * Walks the company's chain in seq order, `chunkSize` events at a time, so a long chain is
   * never held in memory. The head is read first: every event up to it has committed (head and
   * events commit together), and events appended during the walk lie beyond it, for the next check.
   */
  verify: async (companyId: string): Promise<ChainVerification> => {
    const head = await repo.head(companyId);
    const verifier = chainVerifier();
    let afterSeq = 0;
    for (;;) {
      const chunk = await repo.chainChunk(companyId, afterSeq, head?.seq, chunkSize);
      for (const record of chunk) if (!verifier.push(record)) return verifier.finish();
      const last = chunk[chunk.length - 1];
      if (!last || chunk.length < chunkSize) break;
      afterSeq = last.seq;
    }
    return verifier.finish(head ?? EMPTY_CHAIN);
  },
});

export type AuditLogService = ReturnType<typeof auditLogServiceFactory>;
