import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
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

/** Sets the mode of every folder and file below `dir` (PGlite makes some files 0666, some 0600). */
function chmodTree(dir: string, dirMode: number, fileMode: number): void {
  chmodSync(dir, dirMode);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) chmodTree(path, dirMode, fileMode);
    else chmodSync(path, fileMode);
  }
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
  // readable by the user the program runs as (the image's build runs as root, its programs as another user)
  chmodTree(partial, 0o755, 0o644);
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
  // the copy is the program's alone, as a database it made itself would be
  chmodTree(dataDir, 0o700, 0o600);
  return true;
}
