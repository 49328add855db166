import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// `npm run dev -w twin`: the twin from source, its API and live socket from a running cloud
const cloud = process.env.TWIN_CLOUD_URL ?? 'https://127.0.0.1:8443';

export default defineConfig({
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // the hall's chunk is three.js (~590 kB, 150 kB gzip), loaded with the start page only
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: {
      '/api': { target: cloud, secure: false },
      '/socket.io': { target: cloud, secure: false, ws: true },
    },
  },
});
