import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router';
import { setSessionExpiredHandler } from './api/client';
import { ApiError } from './api/problem';
import { createRouter } from './app/router';
import { endSession } from './app/session';
import './styles.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      refetchOnWindowFocus: false,
      // Client errors (4xx) do not get better by repeating them; 503 and network errors may.
      retry: (count, err) => count < 2 && !(err instanceof ApiError && err.status >= 400 && err.status < 500),
    },
  },
});
const router = createRouter(queryClient);

// The hook the TanStack Query devtools extension reads, so the cache can be inspected in a running
// console (the end-to-end test reads it too, to check that no secret value is ever cached). It holds
// only what the page already shows; values are never put in the cache.
declare global {
  interface Window {
    __TANSTACK_QUERY_CLIENT__?: QueryClient;
  }
}
window.__TANSTACK_QUERY_CLIENT__ = queryClient;

// A 401 from any call: the session expired. Forget it; the signed-in layout then sends the person
// to /sign-in with the page they were on as the return address.
setSessionExpiredHandler(() => endSession(queryClient));

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
