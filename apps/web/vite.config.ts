import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// The API serves dist/ from its own origin at `/`, so there is no CORS and no base path to configure.
export default defineConfig({
  base: '/',
  plugins: [react()],
  resolve: {
    // Only the pure (zod-only) modules of the workspace packages reach the bundle, from source.
    alias: [
      { find: /^@nembl\/core\/schemas$/, replacement: here('../../packages/core/src/secrets/secret-fns.ts') },
      { find: /^@nembl\/policy\/types$/, replacement: here('../../packages/policy/src/policy-types.ts') },
    ],
  },
  build: {
    outDir: 'dist',
    // dist/.vite/manifest.json: the chunk graph bench/console.mjs measures per route.
    manifest: true,
    chunkSizeWarningLimit: 600,
    emptyOutDir: true,
    // No inline scripts or data: URLs for scripts, so the CSP can stay `script-src 'self'`.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    port: 5173,
    strictPort: true,
    // `npm run dev -w @nembl/web` against a local API (default PORT 8080): same-origin from the
    // browser's point of view, so the SameSite=Strict session cookie works unchanged.
    proxy: { '/api': 'http://localhost:8080' },
  },
});
