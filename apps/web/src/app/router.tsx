import type { QueryClient } from '@tanstack/react-query';
import { createBrowserRouter, Navigate } from 'react-router';
import { SignInPage, SignUpPage } from '../auth/auth-pages';
import { SignedInLayout } from './layout';
import { RouteError } from './route-error';

// Every signed-in screen is its own chunk, loaded when first visited; sign-in ships without them.
export const createRouter = (_qc: QueryClient) =>
  createBrowserRouter([
    { path: '/sign-in', element: <SignInPage /> },
    { path: '/sign-up', element: <SignUpPage /> },
    {
      element: <SignedInLayout />,
      errorElement: <RouteError />,
      hydrateFallbackElement: <p role="status">Loading…</p>,
      children: [
        { index: true, element: <Navigate to="/settings/secrets" replace /> },
        { path: 'settings', element: <Navigate to="/settings/secrets" replace /> },
        { path: 'settings/secrets', lazy: async () => ({ Component: (await import('../secrets/secrets-list-page')).SecretsListPage }) },
        { path: 'settings/secrets/_new', lazy: async () => ({ Component: (await import('../secrets/create-secret-page')).CreateSecretPage }) },
        { path: 'settings/secrets/:name', lazy: async () => ({ Component: (await import('../secrets/secret-detail-page')).SecretDetailPage }) },
        { path: 'settings/connectors', lazy: async () => ({ Component: (await import('../connectors/connectors-page')).ConnectorsPage }) },
        { path: 'workflows', lazy: async () => ({ Component: (await import('../workflows/workflows-page')).WorkflowsPage }) },
        { path: 'settings/policies', lazy: async () => ({ Component: (await import('../policies/policies-page')).PoliciesPage }) },
        { path: 'audit', lazy: async () => ({ Component: (await import('../audit/audit-page')).AuditPage }) },
        { path: 'settings/users', lazy: async () => ({ Component: (await import('../users/users-page')).UsersPage }) },
        { path: 'settings/tokens', lazy: async () => ({ Component: (await import('../tokens/tokens-page')).TokensPage }) },
        { path: '*', element: <NotFound /> },
      ],
    },
  ]);

function NotFound() {
  return (
    <>
      <h1>Not found</h1>
      <p>There is no such page in the console.</p>
    </>
  );
}
