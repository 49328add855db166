import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCloudDb } from '../db/open.js';
import { checkPassword, ensureFirstAdmin } from './users.js';

const dir = mkdtempSync(join(tmpdir(), 'cloud-users-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('first admin password file', () => {
  it('refuses a link in its place (no admin committed), and makes a file that existed with a wider mode 0600', async () => {
    const db = await openCloudDb({});
    try {
      const target = join(dir, 'somewhere-readable');
      writeFileSync(target, '');
      const link = join(dir, 'linked-password');
      symlinkSync(target, link);
      await expect(ensureFirstAdmin(db.db, { passwordFile: link, print: false })).rejects.toMatchObject({ code: 'ELOOP' });
      expect(readFileSync(target, 'utf8')).toBe('');

      // nothing was committed: the next try creates the admin; the file left from an earlier run is 0644
      const file = join(dir, 'admin-password');
      writeFileSync(file, 'an old password from an earlier run\n');
      chmodSync(file, 0o644);
      const password = await ensureFirstAdmin(db.db, { passwordFile: file, print: false });
      expect(password).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).toBe(`${password}\n`);
      expect(await checkPassword(db.db, 'admin', password!)).toMatchObject({ username: 'admin', role: 'admin' });
      expect(await ensureFirstAdmin(db.db, { passwordFile: file, print: false })).toBeNull();
    } finally {
      await db.close();
    }
  });
});
