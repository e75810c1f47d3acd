import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The API serves dist/ from its own origin at `/`, so there is no CORS and no base path to configure.
export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
  server: {
    port: 5173,
    strictPort: true,
    // `npm run dev -w @nembl/web` against a local API (default PORT 8080): same-origin from the
    // browser's point of view, so the SameSite=Strict session cookie works unchanged.
    proxy: { '/api': 'http://localhost:8080' },
  },
});
