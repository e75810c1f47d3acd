import { chainVerifier, EMPTY_CHAIN, type ChainedAuditRecord, type ChainVerification } from '@nembl/core';
import type { AuditRepository } from './audit-repository.js';
import type { AuditListFilter } from './audit-types.js';

export const VERIFY_CHUNK = 1000;
export const EXPORT_CHUNK = 1000;

export const auditLogServiceFactory = ({
  repo,
  chunkSize = VERIFY_CHUNK,
  exportChunkSize = EXPORT_CHUNK,
}: {
  repo: AuditRepository;
  chunkSize?: number;
  exportChunkSize?: number;
}) => ({
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

  /**
   * Every matching event, oldest first, a chunk at a time. Like `verify`, it stops at the head read
   * when it starts, so events appended while the export streams are not half included.
   */
  export: async function* (companyId: string, filter: AuditListFilter): AsyncGenerator<ChainedAuditRecord[]> {
    const head = await repo.head(companyId);
    if (!head) return;
    let after: { at: Date; seq: number } | undefined;
    for (;;) {
      const chunk = await repo.listAscending(companyId, filter, head.seq, exportChunkSize, after);
      if (chunk.length > 0) yield chunk;
      const last = chunk[chunk.length - 1];
      if (!last || chunk.length < exportChunkSize) return;
      after = { at: new Date(last.at), seq: last.seq };
    }
  },
});

export type AuditLogService = ReturnType<typeof auditLogServiceFactory>;
