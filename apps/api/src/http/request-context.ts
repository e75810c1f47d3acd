import { UnauthorizedError, type Principal } from '@nembl/core';
import type { Request, Response } from 'express';
import type { RequestContext } from '@nembl/core';

export const requestContext = (req: Request, res: Response): RequestContext => ({
  requestId: String(res.locals.requestId),
  ip: req.ip ?? null,
  userAgent: req.get('user-agent')?.slice(0, 512) ?? null,
});

export type AuthKind = 'session' | 'token';

/** The authenticated caller; set by the auth middleware on every protected route. */
export const principalOf = (res: Response): Principal => {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw new UnauthorizedError('Authentication required');
  return p;
};

export const authKindOf = (res: Response): AuthKind | undefined => res.locals.authKind as AuthKind | undefined;
