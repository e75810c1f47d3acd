import { useQuery } from '@tanstack/react-query';
import { api, unwrap, type Secret } from '../api/client';

/** Secret names for the selects of connectors, workflows and the simulator (metadata only). */
export const useSecretNames = () =>
  useQuery({
    queryKey: ['secret-names'],
    queryFn: async () => {
      const names: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 10; i += 1) {
        const page = await unwrap(api.GET('/secrets', { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } } }));
        names.push(...page.items.filter((s: Secret) => s.status === 'active').map((s: Secret) => s.name));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      return names;
    },
    staleTime: 30_000,
  });

export const useUsers = (enabled: boolean) =>
  useQuery({
    queryKey: ['users'],
    queryFn: async () => (await unwrap(api.GET('/users', { params: { query: { limit: 200 } } }))).items,
    enabled,
  });
