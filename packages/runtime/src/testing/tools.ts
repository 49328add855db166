import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * System tools some tests need. Where one is missing the test reports itself skipped with the reason;
 * CI installs the tools and lists them in PLANT_TWIN_REQUIRE_TOOLS (e.g. "chromium,tsql,kubectl"), which
 * turns that skip into a failure, so CI never silently skips them.
 */
export const systemTools = ['chromium', 'tsql', 'kubectl', 'docker'] as const;
export type SystemTool = (typeof systemTools)[number];

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const runs = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore', timeout: 15_000 }).status === 0;

function absence(tool: SystemTool): string | undefined {
  switch (tool) {
    case 'chromium':
      return existsSync(chromiumPath) ? undefined : `no Chromium at ${chromiumPath} (Debian package chromium; CHROMIUM_PATH to change)`;
    case 'tsql':
      return runs('tsql', ['-C']) ? undefined : 'no FreeTDS tsql on PATH (Debian package freetds-bin)';
    case 'kubectl':
      return runs('kubectl', ['version', '--client']) ? undefined : 'no kubectl on PATH';
    case 'docker':
      return runs('docker', ['info']) ? undefined : 'no Docker engine on this machine (docker info failed)';
  }
}

export const requiredTools = (env = process.env.PLANT_TWIN_REQUIRE_TOOLS): SystemTool[] =>
  (env ?? '').split(',').map((s) => s.trim()).filter((s): s is SystemTool => (systemTools as readonly string[]).includes(s));

const checked = new Map<SystemTool, string | undefined>();

/**
 * Why the tests that need `tool` must be skipped here, or undefined when it is present. Throws when the
 * tool is missing but required (CI), so the test file fails instead of skipping. Use as
 * `const why = missingTool('tsql'); describe.skipIf(!!why)(\`... (${why ?? 'tsql present'})\`, ...)`.
 */
export function missingTool(tool: SystemTool): string | undefined {
  if (!checked.has(tool)) checked.set(tool, absence(tool));
  const why = checked.get(tool);
  if (why && requiredTools().includes(tool)) throw new Error(`${tool} is required here (PLANT_TWIN_REQUIRE_TOOLS) but missing: ${why}`);
  if (why) console.warn(`skipped: ${why}`);
  return why;
}
