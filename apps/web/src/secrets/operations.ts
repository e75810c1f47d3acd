import { api, type Operation } from '../api/client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls an operation until it succeeds or fails, reporting each state it sees. */
export const waitForOperation = async (
  id: string,
  onUpdate: (op: Operation) => void,
  { intervalMs = 400, timeoutMs = 120_000, signal }: { intervalMs?: number; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<Operation> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { data } = await api.GET('/operations/{id}', { params: { path: { id } } });
    const op = data as Operation;
    onUpdate(op);
    if (op.status === 'succeeded' || op.status === 'failed') return op;
    if (signal?.aborted || Date.now() > deadline) return op;
    await sleep(intervalMs);
  }
};

export const OPERATION_LABELS: Record<Operation['kind'], string> = {
  create: 'Create',
  update_value: 'Value update',
  delete: 'Delete',
};
