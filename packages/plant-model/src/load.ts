import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORE_SCHEMA, load as parseYaml, YAMLException } from 'js-yaml';
import type * as z from 'zod';
import { plantProblems, plantShape, siteSchema, type Machine, type Plant, type Site } from './schema.js';
import { salvage } from './salvage.js';

/** Every problem of one file, each as "file: path.in[2].doc: what is wrong"; one problem is one line. */
export class PlantModelError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(
      problems.length === 1
        ? `${file}: ${problems[0]}`
        : `${file}: ${problems.length} problems\n${problems.map((p) => `  ${file}: ${p}`).join('\n')}`,
    );
    this.name = 'PlantModelError';
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out ? `.${String(k)}` : String(k);
  return out || '(root)';
}

function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
}

const readFailures: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory, not a file',
};

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!code) throw e;
    throw new PlantModelError(file, [`cannot read: ${readFailures[code] ?? (e as Error).message}`]);
  }
}

// js-yaml builds plain objects directly: the document tree of the yaml package cost every machine pod
// ~4 MB of heap at startup (README, pod memory). The core schema is YAML 1.2's: dates stay strings.
export function readYaml(file: string, text = readText(file)): unknown {
  try {
    return parseYaml(text, { schema: CORE_SCHEMA, filename: file });
  } catch (e) {
    if (e instanceof YAMLException) throw new PlantModelError(file, [`YAML: ${e.reason} at line ${e.mark.line + 1}, column ${e.mark.column + 1}`]);
    throw e;
  }
}

/**
 * The plant model in `data`, or every problem at once: the schema's errors and, on whatever parsed,
 * the rules relating its parts (a refinement alone runs only once the whole shape is valid, so a
 * duplicate id showed only after a missing field was fixed).
 */
export function parsePlant(data: unknown, file = 'plant'): Plant {
  const r = plantShape.safeParse(data);
  const related = plantProblems(r.success ? r.data : (salvage(plantShape, data) ?? {}));
  if (!r.success || related.length) {
    const own = r.success ? [] : problemsOf(r.error);
    throw new PlantModelError(file, [...own, ...related.map((p) => `${formatPath(p.path)}: ${p.message}`)]);
  }
  return r.data;
}

export function parseSite(data: unknown, file = 'site'): Site {
  const r = siteSchema.safeParse(data);
  if (!r.success) throw new PlantModelError(file, problemsOf(r.error));
  return r.data;
}

const overridable: Record<Machine['interface']['type'], string[]> = {
  s7: ['host', 'port', 'rack', 'slot'],
  sql: ['host', 'port', 'database', 'user', 'passwordEnv', 'encrypt', 'trustServerCertificate'],
  file: ['share'],
};

/** The plant with the site's addresses and secret references applied; all mismatches reported at once. */
export function applySite(plant: Plant, site: Site, siteFile = 'site'): Plant {
  const problems: string[] = [];
  const byId = new Map(plant.machines.map((m) => [m.id, m]));
  for (const [id, o] of Object.entries(site.machines)) {
    const m = byId.get(id);
    if (!m) {
      problems.push(`machines.${id}: no machine ${id} in the plant model`);
      continue;
    }
    for (const key of Object.keys(o)) {
      if (!overridable[m.interface.type].includes(key)) problems.push(`machines.${id}.${key}: not a setting of a ${m.interface.type} interface (allowed: ${overridable[m.interface.type].join(', ')})`);
    }
  }
  if (problems.length) throw new PlantModelError(siteFile, problems);
  return {
    ...plant,
    machines: plant.machines.map((m) => {
      const o = site.machines[m.id];
      return o ? { ...m, interface: { ...m.interface, ...o } as Machine['interface'] } : m;
    }),
  };
}

/** The plant model shipped with the project (plant/plant.yaml at the repository root). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const defaultPlantFile = resolve(repoRoot, 'plant/plant.yaml');
/** The site file of the simulated plant on one machine. */
export const localSiteFile = resolve(repoRoot, 'plant/sites/local.yaml');

/** Loads and validates the plant model, then applies the site file if one is given. */
export function loadPlant(file: string = defaultPlantFile, siteFile?: string): Plant {
  const plant = parsePlant(readYaml(file), file);
  if (!siteFile) return plant;
  const site = parseSite(readYaml(siteFile), siteFile);
  // relative share paths are relative to the site file, so a site folder can travel as a whole
  for (const o of Object.values(site.machines)) if (o.share) o.share = resolve(dirname(siteFile), o.share);
  return applySite(plant, site, siteFile);
}

export function machineById(plant: Plant, id: string): Machine {
  const m = plant.machines.find((x) => x.id === id);
  if (!m) throw new Error(`no machine ${id} in the plant model (machines: ${plant.machines.map((x) => x.id).join(', ')})`);
  return m;
}
