import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Unreachable, type HttpResult } from '../http-client.js';

export interface CloudEndpoint {
  /** https://… (http:// only for tests on one machine) */
  url: string;
  edgeId: string;
  token: string;
  /** PEM of the CA that signed the cloud's certificate (CLOUD_CA_FILE); unset: the system's CAs */
  ca?: string | undefined;
}

/**
 * The job manager's outbound HTTPS connection to the cloud (the cloud never connects into the
 * plant): edge credential on every request, JSON both ways, one kept-alive connection.
 */
export class CloudHttp {
  private readonly agent: HttpAgent;
  private readonly base: URL;

  constructor(private readonly ep: CloudEndpoint) {
    this.base = new URL(ep.url);
    // idle sockets close after 30 s, before the cloud's 65 s keep-alive ends them under a request
    const opts = { keepAlive: true, maxSockets: 2, timeout: 30_000 };
    this.agent = this.base.protocol === 'https:' ? new HttpsAgent({ ...opts, ...(ep.ca ? { ca: ep.ca } : {}) }) : new HttpAgent(opts);
  }

  /** A refused connection rejects with Unreachable; `signal` aborts the request (a long poll at stop). */
  call(method: string, path: string, opts: { body?: unknown; timeoutMs: number; signal?: AbortSignal }): Promise<HttpResult> {
    const url = new URL(path, this.base);
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers = { authorization: `Bearer ${this.ep.token}`, 'x-edge-id': this.ep.edgeId, accept: 'application/json', ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}) };
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      let sent = false;
      const req = request(url, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(new Unreachable(url.href, err, true)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = null;
          try {
            body = text ? JSON.parse(text) : null;
          } catch {
            body = { error: text.slice(0, 200) };
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.setTimeout(opts.timeoutMs, () => req.destroy(Object.assign(new Error('timed out'), { name: 'TimeoutError' })));
      // one listener per request, removed with it: the link's signal lives as long as the link
      const abort = () => req.destroy(new Error('stopped'));
      opts.signal?.addEventListener('abort', abort, { once: true });
      req.on('close', () => opts.signal?.removeEventListener('abort', abort));
      req.on('error', (err) => reject(new Unreachable(url.href, err, sent && (err as { code?: string }).code !== 'ECONNREFUSED')));
      req.end(payload, () => (sent = true));
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
