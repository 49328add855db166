import { loadPlant, defaultPlantFile } from '@plant-twin/plant-model';
import { bindHostFromEnv, createLogger, onShutdown, portFromEnv, readEnv, requireSecret } from '@plant-twin/runtime';
import * as z from 'zod';
import { startErpSim } from './server.js';

const rate = z.coerce.number().min(0).max(1);
const env = readEnv(
  z.object({
    PLANT_FILE: z.string().default(defaultPlantFile),
    SITE_FILE: z.string().optional(),
    ERP_PORT: portFromEnv.default(12300),
    BIND_HOST: bindHostFromEnv,
    ERP_USER: z.string().min(1, 'must name the ERP API user'),
    ERP_SEED: z.coerce.number().int().default(1),
    ERP_SPEED: z.coerce.number().positive().max(100_000).default(1),
    ERP_DATA_DIR: z.string().default('.data/erp-sim'),
    ERP_ORDER_INTERVAL_MIN: z.coerce.number().min(0).default(30),
    ERP_CHANGE_INTERVAL_MIN: z.coerce.number().min(0).default(120),
    ERP_INITIAL_ORDERS: z.coerce.number().int().min(0).default(8),
    ERP_MAX_OPEN: z.coerce.number().int().min(1).default(40),
    ERP_FAULT_5XX: rate.default(0),
    ERP_FAULT_TIMEOUT: rate.default(0),
    ERP_FAULT_DROP: rate.default(0),
    ERP_FAULT_DROP_AFTER: rate.default(0),
    ERP_FAULT_HANG_AFTER: rate.default(0),
  }),
);
const log = createLogger('erp-sim');
const password = requireSecret('ERP_PASSWORD');
const plant = loadPlant(env.PLANT_FILE, env.SITE_FILE);
const sim = await startErpSim({
  plant,
  log,
  user: env.ERP_USER,
  password,
  port: env.ERP_PORT,
  host: env.BIND_HOST,
  dataDir: env.ERP_DATA_DIR,
  generator: {
    seed: env.ERP_SEED,
    speed: env.ERP_SPEED,
    orderIntervalMin: env.ERP_ORDER_INTERVAL_MIN,
    changeIntervalMin: env.ERP_CHANGE_INTERVAL_MIN,
    initialOrders: env.ERP_INITIAL_ORDERS,
    maxOpen: env.ERP_MAX_OPEN,
  },
  faults: { error5xx: env.ERP_FAULT_5XX, timeout: env.ERP_FAULT_TIMEOUT, drop: env.ERP_FAULT_DROP, dropAfterCommit: env.ERP_FAULT_DROP_AFTER, hangAfterCommit: env.ERP_FAULT_HANG_AFTER },
});
onShutdown(log)(() => sim.close());
