import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built program, as Kubernetes or the supervisor runs it (the root `npm test` builds dist first). */
export const publisherMain = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface PublisherProcess {
  child: ChildProcess;
  port: number;
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
  ready(): Promise<boolean>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** Starts `node dist/main.js` with the given environment and waits until its HTTP port is known. */
export async function spawnPublisher(env: Record<string, string>): Promise<PublisherProcess> {
  const child = spawn(process.execPath, [publisherMain], { env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'publisher started') resolve(Number(entry.port));
      } catch {
        logs.push({ raw: line });
      }
    });
    child.stderr!.on('data', (d: Buffer) => logs.push({ stderr: d.toString() }));
    void exited.then((code) => reject(new Error(`publisher exited (${code}) before it started: ${JSON.stringify(logs.slice(-5))}`)));
    setTimeout(() => reject(new Error(`publisher did not start within 30 s: ${JSON.stringify(logs.slice(-5))}`)), 30_000).unref();
  });
  return {
    child,
    port,
    logs,
    exited,
    ready: async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200;
      } catch {
        return false;
      }
    },
    kill: async (signal) => {
      child.kill(signal);
      return exited;
    },
  };
}

/** The environment the end-to-end tests run the program with: quick batches and retries, the buffer under `dir`. */
export function testPublisherEnv(
  o: { mqttUrl: string; plantFile: string; cloudUrl: string; caFile: string; edgeId: string; token: string; dir: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    MQTT_URL: o.mqttUrl,
    PLANT_FILE: o.plantFile,
    CLOUD_URL: o.cloudUrl,
    CLOUD_CA_FILE: o.caFile,
    EDGE_ID: o.edgeId,
    EDGE_TOKEN: o.token,
    BUFFER_DIR: join(o.dir, 'buffer'),
    PUB_PORT: '0',
    BATCH_LINGER_MS: '50',
    CLOUD_RETRY_MAX_MS: '1000',
    ...extra,
  };
}
