import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { selfSignedTls } from '@plant-twin/runtime';

/**
 * Test double of the Kubernetes API server for Leases: HTTPS, bearer tokens, resourceVersion checks
 * (409 on a stale replace or a second create), 404 for a missing Lease. `cutOff(token)` makes it drop
 * every request carrying that token, as a network partition between one node and the API server does.
 */
interface Stored {
  metadata: { name: string; namespace: string; resourceVersion: string };
  spec: Record<string, unknown>;
}

export class FakeLeaseServer {
  readonly leases = new Map<string, Stored>();
  readonly requests: { method: string; path: string; token: string }[] = [];
  private version = 1;
  private readonly cut = new Set<string>();
  private server: Server | undefined;
  ca = '';
  url = '';

  constructor(private readonly tokens: string[]) {}

  async start(): Promise<this> {
    const tls = await selfSignedTls('localhost');
    this.ca = tls.cert;
    this.server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (this.cut.has(token)) return void req.socket.destroy();
      this.requests.push({ method: req.method ?? '', path: req.url ?? '', token });
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (!this.tokens.includes(token)) return send(401, { kind: 'Status', code: 401, reason: 'Unauthorized' });
      const m = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/?]+))?$/.exec(req.url ?? '');
      if (!m) return send(404, { kind: 'Status', code: 404, reason: 'NotFound' });
      const [, ns, name] = m as unknown as [string, string, string | undefined];
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
        const key = `${ns}/${name ?? body?.metadata?.name}`;
        const existing = this.leases.get(key);
        if (req.method === 'GET') return existing ? send(200, existing) : send(404, { kind: 'Status', code: 404, reason: 'NotFound' });
        if (req.method === 'POST' && !name) {
          if (existing) return send(409, { kind: 'Status', code: 409, reason: 'AlreadyExists' });
          const made = { metadata: { name: body.metadata.name, namespace: ns!, resourceVersion: String(++this.version) }, spec: body.spec ?? {} };
          this.leases.set(key, made);
          return send(201, made);
        }
        if (req.method === 'PUT' && name) {
          if (!existing) return send(404, { kind: 'Status', code: 404, reason: 'NotFound' });
          if (body?.metadata?.resourceVersion !== existing.metadata.resourceVersion) return send(409, { kind: 'Status', code: 409, reason: 'Conflict' });
          const next = { metadata: { ...existing.metadata, resourceVersion: String(++this.version) }, spec: body.spec ?? {} };
          this.leases.set(key, next);
          return send(200, next);
        }
        send(405, { kind: 'Status', code: 405, reason: 'MethodNotAllowed' });
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Requests with this token are dropped (true) or answered again (false). */
  cutOff(token: string, on = true): void {
    if (on) this.cut.add(token);
    else this.cut.delete(token);
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}
