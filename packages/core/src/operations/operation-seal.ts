import { deriveKey, seal, unseal } from '../crypto/seal.js';

/**
 * The value of a create/update rests only here between the API's commit and the worker's
 * store write: sealed under a key derived for this purpose, bound to operation and company.
 */
export const operationSealer = (masterKey: Buffer) => {
  const key = deriveKey(masterKey, 'operation-payload');
  const aad = (operationId: string, companyId: string) => `${operationId}|${companyId}`;
  return {
    seal: (operationId: string, companyId: string, value: string): Buffer =>
      seal(key, Buffer.from(value, 'utf8'), aad(operationId, companyId)),
    unseal: (operationId: string, companyId: string, blob: Buffer): string =>
      unseal(key, blob, aad(operationId, companyId)).toString('utf8'),
  };
};

export type OperationSealer = ReturnType<typeof operationSealer>;
