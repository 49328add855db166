import { describe, expect, it } from 'vitest';
import { defaultPlantFile, loadPlant, localSiteFile } from '@plant-twin/plant-model';
import { derivePlantDeployment, podName, secretKeys } from './deployment.js';
import { localAddressing } from './local.js';

const plant = loadPlant(defaultPlantFile, localSiteFile);
const programs = derivePlantDeployment(plant, {
  plantFile: defaultPlantFile,
  siteFile: localSiteFile,
  addressing: localAddressing(plant, '/tmp/run'),
  seed: 7,
  speed: 60,
  simulate: true,
});

describe('plant deployment', () => {
  it('gives every machine one pod, preferring its machine edge node', () => {
    const pods = programs.filter((p) => p.role === 'machine-pod');
    expect(pods.map((p) => p.env.MACHINE_ID)).toEqual(plant.machines.map((m) => m.id));
    for (const m of plant.machines) expect(programs.find((p) => p.name === podName(m.id))!.preferredNode).toBe(m.preferredNode);
  });

  it('uses distinct local ports and points the job manager at every pod', () => {
    const ports = programs.flatMap((p) => (p.httpPort ? [p.httpPort] : []));
    expect(new Set(ports).size).toBe(ports.length);
    const jm = programs.find((p) => p.role === 'job-manager')!;
    const podUrls = JSON.parse(jm.env.POD_URLS!);
    expect(Object.keys(podUrls)).toHaveLength(11);
    expect(podUrls['CNC-01']).toBe(`http://127.0.0.1:${programs.find((p) => p.name === 'pod-cnc-01')!.httpPort}`);
  });

  it('puts secrets only in secretEnv, each a declared secret key', () => {
    const keys = new Set(secretKeys(plant));
    for (const p of programs) {
      for (const key of Object.values(p.secretEnv)) expect(keys.has(key)).toBe(true);
      for (const name of Object.keys(p.env)) expect(name).not.toMatch(/(PASSWORD|TOKEN|CREDENTIALS)$/);
    }
    const sqlPod = programs.find((p) => p.name === 'pod-pnt-01')!;
    expect(sqlPod.secretEnv).toEqual({ POD_API_TOKEN: 'POD_API_TOKEN', PNT01_SQL_PASSWORD: 'PNT01_SQL_PASSWORD' });
  });

  it('passes seed and speed to the simulators only', () => {
    const sim = programs.find((p) => p.role === 'simulators')!;
    expect(sim.env).toMatchObject({ SIM_SEED: '7', SIM_SPEED: '60' });
    expect(programs.filter((p) => p.env.SIM_SPEED).map((p) => p.role)).toEqual(['simulators']);
  });
});
