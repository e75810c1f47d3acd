import { useQuery } from '@tanstack/react-query';
import { useId, type ButtonHTMLAttributes, type ReactNode } from 'react';
import { api, type Schemas } from '../api/client';

export type PermissionCheck = Schemas['PermissionsRequest']['checks'][number];
type PermissionResult = Schemas['PermissionResults']['results'][number];

export interface Permission {
  allowed: boolean;
  /** Why not, for the accessible description of a disabled control. */
  reason?: string;
  pending?: boolean;
}

const keyOf = (c: PermissionCheck) => `${c.action}|${c.secret ?? ''}|${c.tags ? JSON.stringify(c.tags) : ''}`;

const explain = (r: PermissionResult): string =>
  r.reason === 'explicit_deny'
    ? `A policy denies ${r.action}.`
    : `Your policies do not allow ${r.action}. Ask an admin for access.`;

/**
 * One `POST /me/permissions` per screen: what the person may do here, from the same engine as
 * enforcement. Until the answer arrives controls are disabled; if the check itself fails they stay
 * enabled and the API decides (it enforces every call anyway).
 */
export const usePermissions = (checks: PermissionCheck[], enabled = true) => {
  const q = useQuery({
    queryKey: ['permissions', checks.map(keyOf)],
    queryFn: async () => {
      const { data } = await api.POST('/me/permissions', { body: { checks } });
      return data?.results ?? [];
    },
    enabled: enabled && checks.length > 0,
    staleTime: 30_000,
    retry: false,
  });
  const can = (action: string, secret?: string): Permission => {
    if (q.isError) return { allowed: true };
    if (!q.data) return { allowed: false, pending: true, reason: 'Checking your permissions…' };
    const i = checks.findIndex((c) => c.action === action && (c.secret ?? undefined) === secret);
    const r = i >= 0 ? q.data[i] : undefined;
    if (!r) return { allowed: true };
    return r.allowed ? { allowed: true } : { allowed: false, reason: explain(r) };
  };
  return { can, isLoading: q.isLoading };
};

/** A button the person's policies may not allow: `aria-disabled` with the reason as its description. */
export function PermButton({
  perm,
  children,
  onClick,
  ...rest
}: { perm: Permission; children: ReactNode } & ButtonHTMLAttributes<HTMLButtonElement>) {
  const id = useId();
  if (perm.allowed)
    return (
      <button type="button" onClick={onClick} {...rest}>
        {children}
      </button>
    );
  return (
    <span className="perm-wrap">
      <button type="button" {...rest} aria-disabled="true" aria-describedby={`${id}-why`} onClick={(e) => e.preventDefault()}>
        {children}
      </button>
      {!perm.pending && (
        <span id={`${id}-why`} className="hint perm-reason">
          {perm.reason}
        </span>
      )}
      {perm.pending && (
        <span id={`${id}-why`} className="sr-only">
          {perm.reason}
        </span>
      )}
    </span>
  );
}
