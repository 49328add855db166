import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { repoRoot } from '@plant-twin/plant-model';

/** The software under test: this package's version and the git commit, when the tree is a checkout. */
export function softwareVersion(): { name: string; version: string; commit?: string } {
  const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version as string;
  let commit = process.env.PLANT_TWIN_COMMIT;
  if (!commit) {
    try {
      commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      if (dirty) commit += '+changes';
    } catch {
      commit = undefined;
    }
  }
  return { name: 'plant-twin', version, ...(commit ? { commit } : {}) };
}
