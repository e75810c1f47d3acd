// The endpoints added in contract v1.1 (`POST /me/permissions`, `GET /operations`), typed by hand from
// api.md until the API's OpenAPI document (schema.gen.ts) describes them; then this file goes away.
import type { components } from './schema.gen';

export interface PermissionCheck {
  action: string;
  secret?: string;
  tags?: Record<string, string>;
}
export interface PermissionResult extends PermissionCheck {
  allowed: boolean;
  reason: string;
}

export interface V11Paths {
  '/me/permissions': {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get?: never;
    put?: never;
    post: {
      parameters: { query?: never; header?: never; path?: never; cookie?: never };
      requestBody: { content: { 'application/json': { checks: PermissionCheck[] } } };
      responses: { 200: { headers: Record<string, unknown>; content: { 'application/json': { results: PermissionResult[] } } } };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/operations': {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: {
      parameters: {
        query?: { status?: Array<'queued' | 'running' | 'failed' | 'succeeded'>; secret?: string; limit?: number; cursor?: string };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        200: {
          headers: Record<string, unknown>;
          content: { 'application/json': { items: components['schemas']['Operation'][]; nextCursor: string | null } };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
