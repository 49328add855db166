// Bundles the machine pod into dist-bundle/ (ESM, one chunk per driver): a pod process then loads
// a few files instead of ~900 modules, and only its own interface's driver. See README (pod memory).
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const outdir = here('../dist-bundle');
// iconv-lite's double-byte code pages (Japanese, Chinese, Korean collations) are ~450 KB of source
// that every SQL pod would hold in memory; they stay files in node_modules (the image has them),
// required the first time such a collation is decoded
const iconvTablesOnDemand = {
  name: 'iconv-tables-on-demand',
  setup(b) {
    b.onResolve({ filter: /^\.\/tables\/[\w-]+\.json$/ }, (args) =>
      /[\\/]iconv-lite[\\/]encodings$/.test(args.resolveDir) ? { path: `iconv-lite/encodings/${args.path.slice(2)}`, external: true } : undefined,
    );
  },
};
const result = await build({
  entryPoints: { pod: here('../src/main.ts') },
  outdir,
  write: false,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  conditions: ['source'],
  minify: true,
  keepNames: true,
  sourcemap: 'linked',
  outExtension: { '.js': '.mjs' },
  // CJS dependencies call require(); give the ESM bundle one
  banner: { js: "import { createRequire as __podRequire } from 'node:module'; const require = __podRequire(import.meta.url);" },
  alias: { '@azure/identity': here('./azure-identity-excluded.js') },
  plugins: [iconvTablesOnDemand],
  logLevel: 'warning',
});
rmSync(outdir, { recursive: true, force: true });
for (const f of result.outputFiles) {
  // V8 keeps each module's source in memory, as UTF-16 if one character is beyond Latin-1 (esbuild
  // leaves some in regular expressions): escaping them keeps the source at one byte per character
  const text = f.path.endsWith('.mjs') ? f.text.replace(/[^\0-\xff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : f.text;
  mkdirSync(dirname(f.path), { recursive: true });
  writeFileSync(f.path, text);
}
