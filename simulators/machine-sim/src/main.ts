import { defaultPlantFile, loadPlant } from '@plant-twin/plant-model';
import { bindHostFromEnv, ConfigError, createLogger, onShutdown, portFromEnv, readEnv } from '@plant-twin/runtime';
import * as z from 'zod';
import { startSimulatedPlant } from './start.js';
import { plantStepMs } from './clock.js';

/**
 * The simulator program (supervisor child process or Kubernetes pod): configured only by the
 * environment, JSON logs, control API with health probes and metrics on SIM_CONTROL_PORT.
 */
const envSchema = z.object({
  PLANT_FILE: z.string().min(1).default(defaultPlantFile),
  SITE_FILE: z.string().min(1).optional(),
  SIM_SEED: z.string().min(1).default('1'),
  SIM_SPEED: z.coerce.number().positive().default(1),
  SIM_CONTROL_PORT: portFromEnv.default(12400),
  SIM_CONTROL_TOKEN: z.string().min(16, 'secret not set or shorter than 16 characters (every route of the control API needs it)'),
  SIM_MACHINES: z.string().optional(),
  SIM_FILE_FAULTS: z.coerce.number().min(0).max(1).default(0),
  BIND_HOST: bindHostFromEnv,
  SIM_START: z.iso.datetime().optional(),
  /**
   * the wall time at which the plant's clock read SIM_START (the deployment sets it with the pods'
   * POD_CLOCK_ORIGIN): a simulator that starts (or restarts) later begins where the plant's clock is
   * by now, so the pods' clock and the machines' agree
   */
  SIM_START_WALL: z.iso.datetime().optional(),
});

const log = createLogger('machine-sim');
try {
  const env = readEnv(envSchema);
  const plant = loadPlant(env.PLANT_FILE, env.SITE_FILE);
  const machines = env.SIM_MACHINES?.split(',').map((s) => s.trim()).filter(Boolean);
  const sim = await startSimulatedPlant({
    plant,
    seed: env.SIM_SEED,
    speed: env.SIM_SPEED,
    tickMs: plantStepMs(env.SIM_SPEED),
    startMs: env.SIM_START ? Date.parse(env.SIM_START) + (env.SIM_START_WALL ? Math.max(0, Date.now() - Date.parse(env.SIM_START_WALL)) * env.SIM_SPEED : 0) : undefined,
    machines,
    bindHost: env.BIND_HOST,
    controlPort: env.SIM_CONTROL_PORT,
    controlToken: env.SIM_CONTROL_TOKEN,
    fileFaultRate: env.SIM_FILE_FAULTS,
    log,
  });
  log.info({ seed: env.SIM_SEED, speed: env.SIM_SPEED, machines: sim.machines.map((m) => ({ id: m.id, face: m.face.kind, endpoint: m.face.endpoint })) }, 'simulated plant running');
  onShutdown(log)(() => sim.stop());
} catch (err) {
  if (err instanceof ConfigError || (err instanceof Error && err.name === 'PlantModelError')) log.fatal(err.message);
  else log.fatal({ err }, 'simulator failed to start');
  process.exit(1);
}
