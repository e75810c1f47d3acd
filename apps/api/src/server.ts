import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError } from '@nembl/core';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { apiRateLimit, authenticate, csrfProtect, invalidatePrincipalsOnWrite } from './auth/auth-middleware.js';
import type { PrincipalCache } from './auth/principal-cache.js';
import { meRouter, publicAuthRouter, type AuthRouterDeps } from './auth/auth-router.js';
import type { AuditService } from '@nembl/core';
import type { AuditLogService } from './audit/audit-log-service.js';
import { auditRouter } from './audit/audit-router.js';
import type { AuthzService } from './authz/authz-service.js';
import { healthRouter, type ReadinessCheck } from './health/health-router.js';
import type { Metrics } from './health/metrics.js';
import { problemMiddleware } from './http/problem.js';
import type { RateLimiter } from './http/rate-limit.js';
import { jsonBody, wellFormedUri } from './http/request-decoding.js';
import { requestIdMiddleware } from './http/request-id.js';
import { responseSerializer } from './http/response-serializer.js';
import { API_OPERATIONS } from './openapi/api-operations.js';
import { openapiRouter } from './openapi/openapi-router.js';
import { permissionRouter } from './permissions/permission-router.js';
import type { PermissionService } from './permissions/permission-service.js';
import { policyRouter, type PolicyRouterDeps } from './policies/policy-router.js';
import { connectorRouter } from './connectors/connector-router.js';
import { workflowRouter } from './workflows/workflow-router.js';
import { envRouter } from './runs/env-router.js';
import { secretRouter } from './secrets/secret-router.js';
import type { SecretService } from './secrets/secret-service.js';
import { tokenRouter } from './tokens/token-router.js';
import type { TokenRepository } from './tokens/token-repository.js';
import type { TokenService } from './tokens/token-service.js';
import { userRouter } from './users/user-router.js';
import type { UserRepository } from './users/user-repository.js';
import type { UserService } from './users/user-service.js';

export interface ServerDeps {
  logger: Logger;
  metrics: Metrics;
  readiness: ReadinessCheck[];
  authRoutes: AuthRouterDeps;
  authz: AuthzService;
  users: UserService;
  userRepo: Pick<UserRepository, 'list'>;
  tokens: TokenService;
  tokenRepo: Pick<TokenRepository, 'list'>;
  auditLog: AuditLogService;
  /** Records the API's own audit events (e.g. an export). */
  audit: Pick<AuditService, 'record'>;
  permissions: PermissionService;
  apiLimiter: RateLimiter;
  principalCache: Pick<PrincipalCache, 'invalidateCompany'>;
  /** Waits until every API process has handled the identity changes committed so far. */
  identityBarrier: () => Promise<void>;
  sessionSecret: Buffer;
  trustProxy: string;
  /** True when served over https (NEMBL_PUBLIC_URL): Secure cookies, HSTS, upgrade-insecure-requests. */
  secureCookies: boolean;
  /** Built console (apps/web/dist); a placeholder is served when it is missing. */
  webRoot: string;
  secrets: SecretService;
  policyRoutes: PolicyRouterDeps;
  connectorRoutes: Parameters<typeof connectorRouter>[0];
  workflowRoutes: Parameters<typeof workflowRouter>[0];
  now: () => Date;
}

export const createServer = (deps: ServerDeps): Express => {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy === 'false' ? false : deps.trustProxy === 'true' ? true : deps.trustProxy);
  app.set('query parser', 'simple');

  app.use(requestIdMiddleware());
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          // Forcing https sub-resources breaks a plain-http deployment (e.g. localhost in Safari).
          upgradeInsecureRequests: deps.secureCookies ? [] : null,
        },
      },
      strictTransportSecurity: deps.secureCookies,
    }),
  );
  // Liveness probes come every few seconds from every load balancer: answered before logging and metrics, which they do not need.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (_req, res) => String((res as unknown as { locals: { requestId: string } }).locals.requestId),
      // Log the path without the query string, and no headers or bodies: those carry credentials.
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
      // Probes and scrapes would drown the access log (and cost a log line each).
      autoLogging: { ignore: (req) => req.url === '/readyz' || req.url === '/metrics' },
    }),
  );
  app.use(deps.metrics.middleware);
  // Path parameters are named from the documented paths, so a bad one is reported by its name.
  const documented = Object.keys(API_OPERATIONS);
  app.use(wellFormedUri(documented.map((p) => `/api/v1${p}`)));
  app.use(healthRouter({ checks: deps.readiness, metrics: deps.metrics }));

  const json = jsonBody();
  const api = express.Router();
  api.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  api.use(responseSerializer(API_OPERATIONS, deps.logger));
  api.post(['/auth/signup', '/auth/login', '/auth/logout'], json);
  api.post('/auth/logout', invalidatePrincipalsOnWrite(deps.principalCache, deps.identityBarrier));
  api.use(publicAuthRouter(deps.authRoutes));
  api.use(openapiRouter());
  // Authentication comes before body parsing so checks run in the contract's order (401 → 400).
  api.use(authenticate(deps.authRoutes.auth), csrfProtect(deps.sessionSecret), apiRateLimit(deps.apiLimiter), json);
  api.use(['/users', '/tokens', '/me/password'], invalidatePrincipalsOnWrite(deps.principalCache, deps.identityBarrier));
  api.use(meRouter(deps.authRoutes));
  api.use(userRouter({ users: deps.users, userRepo: deps.userRepo, authz: deps.authz }));
  api.use(permissionRouter({ permissions: deps.permissions }));
  api.use(auditRouter({ auditLog: deps.auditLog, authz: deps.authz, audit: deps.audit, now: deps.now }));
  api.use(tokenRouter({ tokens: deps.tokens, tokenRepo: deps.tokenRepo, authz: deps.authz }));
  api.use(secretRouter({ secrets: deps.secrets, now: deps.now }));
  api.use(policyRouter(deps.policyRoutes));
  api.use(connectorRouter(deps.connectorRoutes));
  api.use(workflowRouter(deps.workflowRoutes));
  api.use(envRouter({ runs: deps.workflowRoutes.runs }));
  api.use(() => {
    throw new NotFoundError('No such API endpoint');
  });
  app.use('/api/v1', api);

  const index = join(deps.webRoot, 'index.html');
  if (existsSync(index)) {
    app.use(express.static(deps.webRoot, { index: false, maxAge: '1h' }));
    app.get('/{*path}', (_req, res) => {
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(index);
    });
  } else {
    app.get('/', (_req, res) => {
      res.type('text/plain').send('Nembl Secrets API is running. Build the console with `npm run build`.');
    });
  }
  app.use(() => {
    throw new NotFoundError('Not found');
  });
  app.use(problemMiddleware(deps.logger));
  return app;
};
