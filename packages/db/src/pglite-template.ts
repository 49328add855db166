import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * An initialised PGlite data directory to copy into an empty one. PGlite runs initdb in a second
 * WebAssembly instance inside the process, and the process keeps that memory after initdb ends
 * (measured: 750-850 MB at a first start against 300 MB on an existing directory), so a program with
 * a memory limit starts from a template made beforehand, at build time.
 */

/** The installed PGlite's version: a template made by another version is not used. */
function pgliteVersion(): string {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  return (JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** The template's data directory under `root` for the installed PGlite. */
export function pgliteTemplateDir(root: string): string {
  return join(root, `pglite-${pgliteVersion()}`);
}

/** Makes the template under `root` unless it exists; returns its data directory. Run it at build time. */
export async function ensurePgliteTemplate(root: string): Promise<string> {
  const dir = pgliteTemplateDir(root);
  if (existsSync(join(dir, 'PG_VERSION'))) return dir;
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const lite = new PGlite(partial);
  await lite.waitReady;
  await lite.close();
  // a build stopped half-way leaves no template that looks complete
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  return dir;
}

/** Copies the template into `dataDir` if it holds no database yet; false when there is no template to copy. */
export function seedFromTemplate(templateRoot: string, dataDir: string): boolean {
  const template = pgliteTemplateDir(templateRoot);
  if (!existsSync(join(template, 'PG_VERSION'))) return false;
  cpSync(template, dataDir, { recursive: true });
  return true;
}
