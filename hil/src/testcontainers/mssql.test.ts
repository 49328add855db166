import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MSSQLServerContainer, type StartedMSSQLServerContainer } from '@testcontainers/mssqlserver';
import mssql from 'mssql';
import { loadPlant, vendorTableColumns, type Machine, type Plant } from '@plant-twin/plant-model';
import { missingTool } from '@plant-twin/runtime/testing';
import { runHil } from '../run.js';
import { startSimTarget, type Target } from '../target.js';

/**
 * The SQL driver and the job handshake against a real Microsoft SQL Server (testcontainers) and
 * against the project's TDS simulator, with the same cases: the HIL suites for a SQL machine
 * (TDS login with TLS, every vendor table, column and type, the pod driver's polling, the pod
 * driver's JobQueue handshake). Both must pass them all, case for case. In the container nothing
 * runs the cell controller, so the test plays its one part the dry run needs (a queued job's CANCEL).
 */
const noDocker = missingTool('docker');
const image = 'mcr.microsoft.com/mssql/server:2022-CU16-ubuntu-22.04';
const machineId = 'CNC-01';
const password = `Hil-${Math.random().toString(36).slice(2, 10)}-x9!`;

describe.skipIf(!!noDocker)(`SQL driver and job handshake: Microsoft SQL Server agrees with the TDS simulator (${noDocker ?? 'docker present'})`, () => {
  let container: StartedMSSQLServerContainer;
  let sim: Target;
  let controller: NodeJS.Timeout | undefined;
  let pool: mssql.ConnectionPool;

  beforeAll(async () => {
    container = await new MSSQLServerContainer(image).acceptLicense().start();
    const plant = loadPlant();
    const m = plant.machines.find((x) => x.id === machineId)!;
    if (m.interface.type !== 'sql') throw new Error(`${machineId} is not a SQL machine`);
    const admin = { server: container.getHost(), port: container.getPort(), user: container.getUsername(), password: container.getPassword(), options: { encrypt: true, trustServerCertificate: true } };
    const master = await new mssql.ConnectionPool({ ...admin, database: 'master' }).connect();
    await master.request().batch(`CREATE DATABASE [${m.interface.database}]; CREATE LOGIN [${m.interface.user}] WITH PASSWORD = '${password}', CHECK_POLICY = OFF;`);
    await master.close();
    pool = await new mssql.ConnectionPool({ ...admin, database: m.interface.database }).connect();
    const ddl = Object.entries(vendorTableColumns(m)).map(([t, cols]) => `CREATE TABLE [${t}] (${cols.map(([c, decl]) => `[${c}] ${decl}`).join(', ')});`).join('\n');
    await pool.request().batch(`${ddl}
      CREATE USER [${m.interface.user}] FOR LOGIN [${m.interface.user}];
      GRANT SELECT ON SCHEMA::dbo TO [${m.interface.user}];
      GRANT INSERT, UPDATE ON dbo.JobQueue TO [${m.interface.user}];
      INSERT INTO MachineState (EventTime, State, AlarmCode) VALUES (SYSUTCDATETIME(), 'IDLE', 0);`);
    // the cell controller's part in the dry run: a queued job is cancelled on CANCEL
    controller = setInterval(() => {
      void pool.request().query("UPDATE JobQueue SET Status = 'CANCELLED', Command = NULL, UpdatedAt = SYSUTCDATETIME() WHERE Command = 'CANCEL' AND Status = 'QUEUED'").catch(() => undefined);
    }, 200);
    sim = await startSimTarget({ seed: 5, speed: 10, portOffset: 15000 });
  }, 600_000);

  afterAll(async () => {
    clearInterval(controller);
    await pool?.close();
    await sim?.close();
    await container?.stop();
  });

  const againstServer = (): Target => {
    const plant: Plant = { ...sim.plant, machines: sim.plant.machines.map((m): Machine => (m.id === machineId && m.interface.type === 'sql' ? { ...m, interface: { ...m.interface, host: container.getHost(), port: container.getPort(), encrypt: 'on', trustServerCertificate: true } } : m)) };
    const itf = plant.machines.find((m) => m.id === machineId)!.interface as { passwordEnv: string };
    return { ...sim, name: 'mssql-container', simulated: false, plant, sim: undefined, env: { ...process.env, [itf.passwordEnv]: password }, hil: { machines: { [machineId]: { testDatabase: (sim.plant.machines.find((m) => m.id === machineId)!.interface as { database: string }).database } } }, close: async () => undefined };
  };

  it('passes the same HIL cases as the simulator: login, tables, columns and types, polling, JobQueue handshake', async () => {
    const suites = ['connectivity', 'tag-map', 'job-dry-run', 'latency'];
    const onSim = await runHil({ target: sim, machines: [machineId], suites, latencyMs: 3000 });
    const onServer = await runHil({ target: againstServer(), machines: [machineId], suites, latencyMs: 3000, allowWrites: true });
    const outcome = (r: typeof onSim) => r.suites.flatMap((s) => s.cases.map((c) => `${s.name} ${c.name.replace(/HIL-[A-Z0-9]+/, 'HIL-<job>')}: ${c.status}${c.status === 'failed' ? ` ${c.message}` : ''}`));
    expect(outcome(onServer).filter((o) => !o.endsWith(': passed'))).toEqual([]);
    expect(outcome(onServer)).toEqual(outcome(onSim));
  }, 300_000);
});
