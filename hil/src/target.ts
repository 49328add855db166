import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sleep } from '@plant-twin/runtime';
import { defaultPlantFile, loadPlant, parseSite, readYaml, type Plant, type SiteHil } from '@plant-twin/plant-model';
import { startPlantRun, type PlantRun } from '@plant-twin/supervisor';
import { quietLog } from './log.js';

/**
 * What the suites run against: the simulated plant, started here from the same derivation as
 * `npm start` (the simulators as a child process, machines on shifted ports, shares in a temp run
 * dir), or the real machines named by a site file.
 */
export interface Target {
  /** "sim" or the site's name */
  name: string;
  simulated: boolean;
  /** the plant model the suites check, with the target's addresses applied */
  plant: Plant;
  plantFile: string;
  siteFile: string;
  hil: SiteHil;
  /** the edge cluster's API servers (the k3s nodes), from the site file's kubernetes section */
  edgeNodes: string[];
  /** environment with the SQL passwords the plant model names */
  env: NodeJS.ProcessEnv;
  /** the simulators' control API (fault drills); only on the simulated plant */
  sim?: { post(path: string, body?: unknown): Promise<unknown>; run: PlantRun };
  close(): Promise<void>;
}

export const sha256File = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * The simulated plant. `checkPlantFile` is the plant model the suites check; the simulators always run
 * the project's plant model (they stand for the machines as built), so a model that disagrees with
 * them (a wrong DB length, a wrong column) fails as it would on site.
 */
export async function startSimTarget(o: { seed: number; speed: number; portOffset: number; checkPlantFile?: string }): Promise<Target> {
  const run = await startPlantRun({ seed: o.seed, speed: o.speed, portOffset: o.portOffset, roles: ['simulators'], log: quietLog() });
  try {
    await run.start(90_000);
    const sim = run.byRole('simulators');
    const siteFile = sim.env.SITE_FILE!;
    const plantFile = resolve(o.checkPlantFile ?? defaultPlantFile);
    const post = (path: string, body?: unknown) => run.http(sim, path, { method: 'POST', ...(body !== undefined ? { body } : {}) });
    // the file stations produce (their results are what the tag map parses); the others stay idle
    // for the job handshake dry run on their own mailbox and job queue
    // (best effort: a station that is starved at the start refuses the job, and its tag map check says
    // it found no result file)
    for (const m of run.plant.machines.filter((x) => x.interface.type === 'file')) {
      await post(`/machines/${m.id}/command`, { command: 'load', jobId: `HILSIM-${m.id}`, partNumber: m.parts[0]!.partNumber, quantity: 100_000 })
        .then(() => post(`/machines/${m.id}/command`, { command: 'start' }))
        .catch(() => undefined);
    }
    // until each producing station has written a result (or 60 s): the tag map parses them
    const outboxes = run.plant.machines.flatMap((m) => (m.interface.type === 'file' ? [join(m.interface.share, m.interface.outbox)] : []));
    for (const end = Date.now() + 60_000; Date.now() < end; await sleep(500)) {
      const waiting = outboxes.filter((d) => !existsSync(d) || !readdirSync(d).some((n) => !n.startsWith('.') && !n.endsWith('.tmp')));
      if (waiting.length <= 1) break; // a station may be starved and refuse its job
    }
    return {
      name: 'sim',
      simulated: true,
      plant: loadPlant(plantFile, siteFile),
      plantFile,
      siteFile,
      hil: { machines: {} },
      edgeNodes: [],
      env: { ...process.env, ...run.secrets },
      sim: { post, run },
      close: () => run.close(),
    };
  } catch (e) {
    await run.close(true);
    throw e;
  }
}

/** The real machines of a site file. Refuses a file that still has the example's placeholders. */
export function siteTarget(siteFile: string, plantFile = defaultPlantFile): Target {
  const text = readFileSync(siteFile, 'utf8');
  const values = text.split('\n').map((l) => l.replace(/(^|\s)#.*$/, '')).join('\n'); // comments may name the placeholders
  const left = [...new Set(values.match(/REPLACE-ME[\w.-]*/gi) ?? [])];
  if (left.length) throw new Error(`${siteFile} still has placeholders: ${left.slice(0, 5).join(', ')}${left.length > 5 ? ', ...' : ''} (fill in the plant's addresses first)`);
  const site = parseSite(readYaml(siteFile, text), siteFile);
  return {
    name: site.site,
    simulated: false,
    plant: loadPlant(plantFile, siteFile),
    plantFile: resolve(plantFile),
    siteFile: resolve(siteFile),
    hil: site.hil ?? { machines: {} },
    edgeNodes: (site.kubernetes?.apiServers ?? []).map((c) => c.replace(/\/32$/, '')).filter((a) => !a.includes('/')),
    env: process.env,
    close: async () => undefined,
  };
}
