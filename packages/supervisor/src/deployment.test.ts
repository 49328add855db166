import { describe, expect, it } from 'vitest';
import { defaultPlantFile, loadPlant, localSiteFile } from '@plant-twin/plant-model';
import { derivePlantDeployment, derivedSecrets, mqttUsers, podName, secretKeys } from './deployment.js';
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
    expect(sqlPod.secretEnv).toEqual({ METRICS_TOKEN: 'METRICS_TOKEN', MQTT_PASSWORD: 'MQTT_PASSWORD_POD_PNT_01', POD_API_TOKEN: 'POD_API_TOKEN', PNT01_SQL_PASSWORD: 'PNT01_SQL_PASSWORD' });
  });

  it('binds every program to 127.0.0.1 unless told otherwise and guards every /metrics with the metrics token', () => {
    for (const p of programs) {
      expect(p.env.BIND_HOST, p.name).toBe('127.0.0.1');
      expect(p.secretEnv.METRICS_TOKEN, p.name).toBe('METRICS_TOKEN');
    }
    const k8s = derivePlantDeployment(plant, { plantFile: 'p', addressing: localAddressing(plant, '/tmp/run'), seed: 1, speed: 1, simulate: false, bindHost: '0.0.0.0' });
    expect(new Set(k8s.map((p) => p.env.BIND_HOST))).toEqual(new Set(['0.0.0.0']));
  });

  it('gives every pod its own MQTT user, allowed its own machine only, and the broker the rules and the hashes', async () => {
    const broker = programs.find((p) => p.role === 'broker')!;
    const acl = JSON.parse(broker.env.MQTT_ACL!);
    expect(broker.secretEnv.MQTT_CREDENTIALS).toBe('MQTT_CREDENTIALS');
    expect(Number(broker.env.MQTT_MAX_PACKET_BYTES)).toBe(65 * 1024);
    const pod = programs.find((p) => p.name === 'pod-prs-01')!;
    expect(pod.env.MQTT_USERNAME).toBe('pod-prs-01');
    expect(acl['pod-prs-01']).toEqual({ publish: ['plant-twin/v1/plant1/press/PRS-01/+'], retain: ['plant-twin/v1/plant1/press/PRS-01/pod'], subscribe: [] });
    const publisher = programs.find((p) => p.role === 'publisher')!;
    expect(acl[publisher.env.MQTT_USERNAME!]).toEqual({ publish: [], retain: [], subscribe: ['plant-twin/v1/plant1/+/+/+'] });
    // the durable session is the publisher's user
    expect(Object.keys(JSON.parse(broker.env.MQTT_DURABLE_SESSIONS!))).toEqual([publisher.env.MQTT_USERNAME]);
    expect(acl.andon).toEqual(acl[publisher.env.MQTT_USERNAME!]);
    expect(Object.keys(acl)).toHaveLength(11 + 2);
    const secrets = Object.fromEntries(secretKeys(plant).map((k) => [k, `value-of-${k}`]));
    const derived = await derivedSecrets(plant, secrets);
    const hashes = JSON.parse(derived.MQTT_CREDENTIALS!);
    expect(Object.keys(hashes).sort()).toEqual(mqttUsers(plant).map((u) => u.username).sort());
    expect(Object.values(hashes).every((h) => typeof h === 'string' && h.startsWith('scrypt$') && !h.includes('value-of'))).toBe(true);
  });

  it('passes seed and speed to the simulators only', () => {
    const sim = programs.find((p) => p.role === 'simulators')!;
    expect(sim.env).toMatchObject({ SIM_SEED: '7', SIM_SPEED: '60' });
    expect(programs.filter((p) => p.env.SIM_SPEED).map((p) => p.role)).toEqual(['simulators']);
  });
});
