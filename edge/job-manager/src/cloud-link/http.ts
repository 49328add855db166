import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { requestJson, type HttpResult } from '../http-client.js';

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
    return requestJson(new URL(path, this.base).href, { method, headers: { authorization: `Bearer ${this.ep.token}`, 'x-edge-id': this.ep.edgeId }, ...opts, agent: this.agent });
  }

  close(): void {
    this.agent.destroy();
  }
}
