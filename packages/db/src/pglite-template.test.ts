import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensurePgliteTemplate, openDb, pgliteTemplateDir, sql } from './index.js';

const root = mkdtempSync(join(tmpdir(), 'pglite-template-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('PGlite tuning for programs with a memory limit', () => {
  // each start of a fresh PGlite runs initdb (10-40 s on a busy machine)
  it('a template is made once; an empty data directory starts as its copy, with the settings given', { timeout: 180_000 }, async () => {
    const templates = join(root, 'templates');
    const dir = await ensurePgliteTemplate(templates);
    expect(dir).toBe(pgliteTemplateDir(templates));
    expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true);
    const made = statSync(join(dir, 'PG_VERSION')).mtimeMs;
    expect(await ensurePgliteTemplate(templates)).toBe(dir);
    expect(statSync(join(dir, 'PG_VERSION')).mtimeMs).toBe(made);
    expect(readdirSync(templates)).toEqual([dir.slice(templates.length + 1)]);

    const dataDir = join(root, 'data');
    const tuning = { templateRoot: templates, settings: { shared_buffers: '16MB', work_mem: '2MB' } };
    const first = await openDb<Record<string, never>>({ dataDir, schema: 'job_manager', pglite: tuning });
    expect(first.pgliteStart).toBe('template');
    const shown = await sql<{ shared_buffers: string }>`show shared_buffers`.execute(first.db);
    expect(shown.rows[0]!.shared_buffers).toBe('16MB');
    expect((await sql<{ work_mem: string }>`show work_mem`.execute(first.db)).rows[0]!.work_mem).toBe('2MB');
    await sql`create table kept (n int)`.execute(first.db);
    await sql`insert into kept values (42)`.execute(first.db);
    await first.close();
    // the template is readable by any user (the image's programs do not run as its builder), the copy is the program's alone
    const modes = (root: string) => readdirSync(root, { recursive: true, withFileTypes: true }).map((e) => statSync(join(e.parentPath, e.name)).mode & 0o777);
    expect(new Set(modes(dir))).toEqual(new Set([0o755, 0o644]));
    // (what PGlite writes itself follows the process's umask: 077 under the supervisor)
    expect([statSync(dataDir).mode & 0o777, statSync(join(dataDir, 'PG_VERSION')).mode & 0o777, statSync(join(dataDir, 'global', 'pg_control')).mode & 0o777]).toEqual([0o700, 0o600, 0o600]);
    expect(existsSync(join(dir, 'base'))).toBe(true);
    const again = await openDb<Record<string, never>>({ dataDir, schema: 'job_manager', pglite: tuning });
    expect(again.pgliteStart).toBe('existing');
    expect((await sql<{ n: number }>`select n from kept`.execute(again.db)).rows).toEqual([{ n: 42 }]);
    await again.close();
    const fromTemplate = await openDb<Record<string, never>>({ dataDir: join(root, 'other'), schema: 'job_manager', pglite: tuning });
    await expect(sql`select n from kept`.execute(fromTemplate.db)).rejects.toThrow(/kept/);
    await fromTemplate.close();
  });

  it('without a template at hand, initdb runs (and says so)', { timeout: 180_000 }, async () => {
    const handle = await openDb<Record<string, never>>({ dataDir: join(root, 'plain'), pglite: { templateRoot: join(root, 'none') } });
    expect(handle.pgliteStart).toBe('initdb');
    expect((await sql<{ shared_buffers: string }>`show shared_buffers`.execute(handle.db)).rows[0]!.shared_buffers).toBe('128MB');
    await handle.close();
  });
});
