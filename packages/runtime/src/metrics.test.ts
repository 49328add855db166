import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createServiceApp, listen } from './express-app.js';
import type { ServiceHttpOptions } from './http.js';
import { createLightService } from './light-service.js';
import { createLogger } from './logger.js';

const log = createLogger('metrics-test');
log.level = 'silent';

/** Both services the programs use: express (cloud, job manager, publisher, broker, simulators) and the pods' light one. */
const services: [string, (o: ServiceHttpOptions) => Promise<Server>][] = [
  ['express service app', (o) => {
    const { app, finish } = createServiceApp(o);
    finish();
    return listen(app, 0, '127.0.0.1');
  }],
  ['light service', (o) => createLightService(o).listen(0, '127.0.0.1')],
];

describe.each(services)('/metrics of the %s', (_name, start) => {
  let server: Server | undefined;
  const saved = process.env.METRICS_TOKEN;
  afterEach(async () => {
    if (saved === undefined) delete process.env.METRICS_TOKEN;
    else process.env.METRICS_TOKEN = saved;
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });
  const url = (s: Server, path: string) => `http://127.0.0.1:${(s.address() as { port: number }).port}${path}`;

  it('refuses everyone, saying how to enable it, when no metrics token is configured (secure by default)', async () => {
    delete process.env.METRICS_TOKEN;
    server = await start({ log, ready: () => true });
    for (const headers of [{}, { authorization: 'Bearer anything' }, { authorization: 'Bearer ' }] as Record<string, string>[]) {
      const r = await fetch(url(server, '/metrics'), { headers });
      expect(r.status).toBe(403);
      const { error } = (await r.json()) as { error: string };
      expect(error).toMatch(/metrics are off: no METRICS_TOKEN is configured; set METRICS_TOKEN and send it as Authorization: Bearer/);
    }
    expect((await fetch(url(server, '/health/live'))).status).toBe(200);
  });

  it('takes the token from the environment (what every deployment sets) when none is given', async () => {
    process.env.METRICS_TOKEN = 'metrics-token-from-the-environment';
    server = await start({ log, ready: () => true });
    expect((await fetch(url(server, '/metrics'))).status).toBe(401);
    const ok = await fetch(url(server, '/metrics'), { headers: { authorization: 'Bearer metrics-token-from-the-environment' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('process_cpu_seconds_total');
  });
});
