import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { NotFoundError } from '@nembl/core';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { apiRateLimit, authenticate, csrfProtect, invalidatePrincipalsOnWrite } from './auth/auth-middleware.js';
import type { PrincipalCache } from './auth/principal-cache.js';
import { meRoute, meRouter, publicAuthRouter, type AuthRouterDeps } from './auth/auth-router.js';
import type { AuditService } from '@nembl/core';
import type { AuditLogService } from './audit/audit-log-service.js';
import { auditRouter } from './audit/audit-router.js';
import type { AuthzService } from './authz/authz-service.js';
import { healthRouter, type ReadinessCheck } from './health/health-router.js';
import type { Metrics } from './health/metrics.js';
import { problemMiddleware } from './http/problem.js';
import type { RateLimiter } from './http/rate-limit.js';
import { fastLane } from './http/fast-lane.js';
import { jsonBody, malformedUriParameter, wellFormedUri } from './http/request-decoding.js';
import { requestIdMiddleware } from './http/request-id.js';
import { responseSerializer, responseSerializerFor } from './http/response-serializer.js';
import { helmetOptions, securityHeaderList, securityHeaders } from './http/security-headers.js';
import { API_OPERATIONS } from './openapi/api-operations.js';
import { openapiRouter } from './openapi/openapi-router.js';
import { permissionRouter } from './permissions/permission-router.js';
import type { PermissionService } from './permissions/permission-service.js';
import { policyRouter, type PolicyRouterDeps } from './policies/policy-router.js';
import { connectorRouter } from './connectors/connector-router.js';
import { workflowRouter } from './workflows/workflow-router.js';
import { envRouter, phaseEnvRoute } from './runs/env-router.js';
import { secretReadRoutes, secretRouter, secretWriteRoutes } from './secrets/secret-router.js';
import type { SecretService } from './secrets/secret-service.js';
import { announceMetadataOnWrite } from './secrets/metadata-sync.js';
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
  /** Drops a company's cached secret details in every API process (after a write committed). */
  announceMetadata: (companyId: string) => Promise<void>;
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
  /** Serve the hot reads from the fast lane (default); false sends every request through Express. */
  fastLane?: boolean;
}

export const createServer = (deps: ServerDeps): Express => {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy === 'false' ? false : deps.trustProxy === 'true' ? true : deps.trustProxy);
  app.set('query parser', 'simple');

  // API answers are `no-store`: an ETag would only cost a hash of every body.
  app.set('etag', false);

  const headerList = securityHeaderList(helmetOptions(deps.secureCookies));
  app.use(requestIdMiddleware());
  app.use(securityHeaders(headerList));
  // Liveness probes come every few seconds from every load balancer: answered before logging and
  // metrics, which they do not need (`GET /healthz` itself is answered by the fast lane; HEAD and
  // other spellings come here).
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
  const templates = Object.keys(API_OPERATIONS).map((p) => `/api/v1${p}`);
  app.use(wellFormedUri(templates));
  app.use(healthRouter({ checks: deps.readiness, metrics: deps.metrics }));

  const json = jsonBody();
  const api = express.Router();
  api.use((req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    // Nothing here is cached, so nothing is "not modified": `If-None-Match: *` must not turn an
    // answer into a bodiless 304 (the fast lane ignores these headers too).
    delete req.headers['if-none-match'];
    delete req.headers['if-modified-since'];
    next();
  });
  const serialize = responseSerializerFor(API_OPERATIONS);
  api.use(responseSerializer(serialize, deps.logger));
  api.post(['/auth/signup', '/auth/login', '/auth/logout'], json);
  api.post('/auth/logout', invalidatePrincipalsOnWrite(deps.principalCache, deps.identityBarrier));
  api.use(publicAuthRouter(deps.authRoutes));
  api.use(openapiRouter());
  // Authentication comes before body parsing so checks run in the contract's order (401 → 400).
  api.use(authenticate(deps.authRoutes.auth), csrfProtect(deps.sessionSecret), apiRateLimit(deps.apiLimiter), json);
  api.use(['/users', '/tokens', '/me/password'], invalidatePrincipalsOnWrite(deps.principalCache, deps.identityBarrier));
  // Writes that can change what a secret's detail shows: its own, its owners', its bindings'.
  api.use(['/secrets', '/users', '/connectors', '/workflows'], announceMetadataOnWrite(deps.announceMetadata));
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

  if (deps.fastLane !== false) {
    const lane = fastLane({
      routes: [
        meRoute(deps.authRoutes),
        ...Object.values(secretReadRoutes({ secrets: deps.secrets, now: deps.now })),
        phaseEnvRoute({ runs: deps.workflowRoutes.runs }),
        ...Object.values(secretWriteRoutes({ secrets: deps.secrets })),
      ],
      auth: deps.authRoutes.auth,
      limiter: deps.apiLimiter,
      serialize,
      securityHeaders: headerList,
      metrics: deps.metrics,
      logger: deps.logger,
      trustProxy: app.get('trust proxy fn') as (addr: string, i: number) => boolean,
      malformedUri: malformedUriParameter(templates),
      announceMetadata: deps.announceMetadata,
    });
    // Every request meets the lane first, whether the app is served by app.listen or by
    // http.createServer(app); what it does not take goes through Express as before.
    // (`app.handle` is Express's entry point; its types leave it out.)
    const entry = app as unknown as { handle: (req: IncomingMessage, res: ServerResponse, next?: unknown) => void };
    const viaExpress = entry.handle.bind(app);
    entry.handle = (req, res, next) => {
      if (!lane(req, res)) viaExpress(req, res, next);
    };
  }
  return app;
};
