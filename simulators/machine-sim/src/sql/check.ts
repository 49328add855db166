import type { Machine } from '@plant-twin/plant-model';
import sql from 'mssql';
import type { SimulatedMachine } from '../start.js';

/** Reaches a SQL machine's TDS server with mssql (the edge's driver), over TLS, and reads its latest state row. */
export async function checkSqlMachine(m: SimulatedMachine, model: Machine, env: NodeJS.ProcessEnv): Promise<string> {
  const itf = model.interface;
  if (itf.type !== 'sql') throw new Error(`${model.id} is not a SQL machine`);
  const [host, port] = m.face.endpoint.split(':');
  const pool = new sql.ConnectionPool({
    server: host!,
    port: Number(port),
    user: itf.user,
    password: env[itf.passwordEnv],
    database: itf.database,
    options: { encrypt: true, trustServerCertificate: true },
    connectionTimeout: 5000,
    requestTimeout: 5000,
  });
  await pool.connect();
  try {
    const r = await pool.request().query('SELECT TOP 1 State, EventTime FROM MachineState ORDER BY EventId DESC');
    const tables = await pool.request().query("SELECT COUNT(*) AS n FROM ProcessLog");
    return `mssql over TLS: state ${String(r.recordset[0]?.State)}, ${String(tables.recordset[0]?.n)} ProcessLog rows`;
  } finally {
    await pool.close();
  }
}
