import { request } from 'node:https';
import * as z from 'zod';

/**
 * The few calls of the Kubernetes Lease API (coordination.k8s.io/v1) that fencing needs, over HTTPS
 * with the pod's service account token: read, create, replace. A replace carries the resourceVersion
 * it read, so of two pods racing for a Lease exactly one wins (the other gets 409 Conflict).
 */
export const leaseSchema = z.object({
  metadata: z.object({ name: z.string(), namespace: z.string().optional(), resourceVersion: z.string().optional() }).passthrough(),
  spec: z
    .object({
      holderIdentity: z.string().nullable().optional(),
      leaseDurationSeconds: z.number().int().nullable().optional(),
      acquireTime: z.string().nullable().optional(),
      renewTime: z.string().nullable().optional(),
      leaseTransitions: z.number().int().nullable().optional(),
    })
    .passthrough()
    .default({}),
});
export type Lease = z.output<typeof leaseSchema>;

export interface LeaseApiOptions {
  /** https://host:port of the API server */
  server: string;
  namespace: string;
  /** the token, read at every call (projected service account tokens are rotated) */
  token: () => string;
  ca?: string;
  timeoutMs?: number;
}

/** A MicroTime as the API wants it: RFC 3339 with microseconds. */
export const microTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

const maxBody = 256 * 1024;

export class LeaseApi {
  constructor(private readonly o: LeaseApiOptions) {}

  private path(name?: string) {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.o.namespace)}/leases${name ? `/${encodeURIComponent(name)}` : ''}`;
  }

  private call(method: string, path: string, body?: unknown): Promise<{ status: number; lease?: Lease; text: string }> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.o.server),
        {
          method,
          headers: { authorization: `Bearer ${this.o.token()}`, accept: 'application/json', ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}) },
          ...(this.o.ca ? { ca: this.o.ca } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > maxBody) req.destroy(new Error(`Lease API answer over ${maxBody} bytes`));
            else chunks.push(c);
          });
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) return resolve({ status, text });
            try {
              resolve({ status, lease: leaseSchema.parse(JSON.parse(text)), text });
            } catch (e) {
              reject(new Error(`Lease API answered ${status} with what is not a Lease: ${(e as Error).message.slice(0, 200)}`));
            }
          });
        },
      );
      req.setTimeout(this.o.timeoutMs ?? 5000, () => req.destroy(new Error(`Lease API: no answer within ${this.o.timeoutMs ?? 5000} ms`)));
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  private fail(what: string, r: { status: number; text: string }): never {
    throw new Error(`Lease API ${what}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
  }

  /** The Lease, or undefined when there is none. */
  async get(name: string): Promise<Lease | undefined> {
    const r = await this.call('GET', this.path(name));
    if (r.status === 404) return undefined;
    return r.lease ?? this.fail(`get ${name}`, r);
  }

  /** Creates the Lease; undefined when another pod created it first (409). */
  async create(lease: Lease): Promise<Lease | undefined> {
    const r = await this.call('POST', this.path(), { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...lease });
    if (r.status === 409) return undefined;
    return r.lease ?? this.fail(`create ${lease.metadata.name}`, r);
  }

  /** Replaces the Lease at the resourceVersion it carries; undefined when it changed meanwhile (409). */
  async replace(lease: Lease): Promise<Lease | undefined> {
    const r = await this.call('PUT', this.path(lease.metadata.name), { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...lease });
    if (r.status === 409) return undefined;
    return r.lease ?? this.fail(`replace ${lease.metadata.name}`, r);
  }
}
