import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { ingestAckSchema, ingestPath, parseWith, type IngestAck } from '@plant-twin/contracts';

export interface CloudClientOptions {
  /** base URL of the cloud, https (http only for localhost) */
  url: string;
  edgeId: string;
  token: string;
  /** PEM of a CA (or the self-signed certificate) to trust besides the system store */
  ca?: string | Buffer;
  timeoutMs?: number;
}

export type PostResult = { ok: true; status: number; ack: IngestAck } | { ok: false; status: number; error: string; ack?: IngestAck; body?: { fields?: unknown } };

const localHosts = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Refuses a cloud URL that would send data in clear over a network. */
export function checkCloudUrl(raw: string): URL {
  const url = new URL(raw);
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && localHosts.has(url.hostname)) return url;
  throw new Error(`CLOUD_URL: must be https (http only for localhost), got ${url.protocol}//${url.host}`);
}

/** POSTs gzip-compressed ingestion batches over one kept-alive connection the edge opens. */
export class CloudClient {
  private readonly target: URL;
  private readonly agent: HttpAgent | HttpsAgent;

  constructor(private readonly opts: CloudClientOptions) {
    const base = checkCloudUrl(opts.url);
    this.target = new URL(`${base.pathname.replace(/\/$/, '')}${ingestPath}`, base);
    this.agent = base.protocol === 'https:' ? new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: opts.ca }) : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  }

  get endpoint(): string {
    return this.target.href;
  }

  post(gzBody: Buffer): Promise<PostResult> {
    const request = this.target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      const req = request(
        this.target,
        {
          method: 'POST',
          agent: this.agent,
          timeout: this.opts.timeoutMs ?? 30_000,
          headers: {
            'content-type': 'application/json',
            'content-encoding': 'gzip',
            'content-length': gzBody.length,
            authorization: `Bearer ${this.opts.token}`,
            'x-edge-id': this.opts.edgeId,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => resolve({ ok: false, status: res.statusCode ?? 0, error: err.message }));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            let data: unknown;
            try {
              data = JSON.parse(text);
            } catch {
              data = undefined;
            }
            const parsed = data === undefined ? null : parseWith(ingestAckSchema, data);
            const ack = parsed?.ok ? parsed.value : undefined;
            if (status >= 200 && status < 300) {
              if (ack) resolve({ ok: true, status, ack });
              else resolve({ ok: false, status, error: `answer is not an ingest ack: ${parsed && !parsed.ok ? parsed.error : text.slice(0, 200)}` });
              return;
            }
            const error = (data as { error?: unknown } | undefined)?.error;
            resolve({
              ok: false,
              status,
              error: typeof error === 'string' ? error : text.slice(0, 200) || `HTTP ${status}`,
              ...(ack ? { ack } : {}),
              ...(data && typeof data === 'object' ? { body: data as { fields?: unknown } } : {}),
            });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => resolve({ ok: false, status: 0, error: (err as NodeJS.ErrnoException).code ?? err.message }));
      req.end(gzBody);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
