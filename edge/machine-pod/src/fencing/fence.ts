import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Logger } from '@plant-twin/runtime';
import { LeaseApi, microTime, type Lease } from './lease-api.js';

/**
 * Fencing: a machine is never driven by two pods. Each machine has a Lease (`machine-<id>`); its pod
 * talks to the machine only while it holds it. During a network partition Kubernetes starts a new pod
 * for the machine elsewhere (after the 30 s toleration) while the old one may still run: the old pod
 * cannot renew, so it stops driving the machine before its Lease can expire, and the new pod takes
 * the Lease only after it has seen it unrenewed for a whole lease duration (timed by its own clock,
 * as client-go's leader election does, so the nodes' clocks need not agree).
 *
 *   holder:  renews every renewEveryMs; holds until (start of its last successful renew) + duration - margin
 *   others:  take the Lease when it is released, or when its renewTime has not changed for a duration
 */
export interface FenceOptions {
  api: LeaseApi;
  name: string;
  /** this pod (its name) */
  identity: string;
  log: Logger;
  durationS?: number;
  renewEveryMs?: number;
  retryMs?: number;
  /** the holder stops this long before its Lease could expire */
  marginMs?: number;
}

export class MachineFence {
  private readonly durationMs: number;
  private readonly renewEveryMs: number;
  private readonly retryMs: number;
  private readonly marginMs: number;
  private lease: Lease | undefined;
  /** local time of the start of the last renew the API accepted */
  private renewedAt = 0;
  /** another holder's lease as last seen, and when (local time) it was first seen so */
  private observed: { key: string; at: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lostListeners: (() => void)[] = [];
  private stopped = false;
  private holding = false;

  constructor(private readonly o: FenceOptions) {
    this.durationMs = (o.durationS ?? 15) * 1000;
    this.renewEveryMs = o.renewEveryMs ?? this.durationMs / 3;
    this.retryMs = o.retryMs ?? 2000;
    this.marginMs = o.marginMs ?? Math.min(3000, this.durationMs / 5);
  }

  /** true while this pod may drive the machine */
  held(): boolean {
    return this.holding && Date.now() < this.renewedAt + this.durationMs - this.marginMs;
  }

  /** Called once when the Lease is lost (not renewed in time, or taken): stop driving the machine. */
  onLost(fn: () => void): void {
    this.lostListeners.push(fn);
  }

  /** Resolves once this pod holds the Lease (waits for a holder to release it or let it expire). */
  async acquire(): Promise<void> {
    for (let announced = false; !this.stopped; await sleep(this.retryMs)) {
      try {
        if (await this.tryAcquire()) break;
        if (!announced) this.o.log.warn({ lease: this.o.name, holder: this.lease?.spec.holderIdentity }, 'machine Lease held by another pod: waiting for it to be released or to expire');
        announced = true;
      } catch (e) {
        this.o.log.warn({ lease: this.o.name, err: (e as Error).message }, 'machine Lease not readable; retrying');
      }
    }
    if (this.stopped) throw new Error(`fence ${this.o.name} stopped before the Lease was acquired`);
    this.holding = true;
    this.o.log.info({ lease: this.o.name, identity: this.o.identity }, 'holding the machine Lease');
    this.schedule();
  }

  private async tryAcquire(): Promise<boolean> {
    const t0 = Date.now();
    const now = microTime(t0);
    const mine = { holderIdentity: this.o.identity, leaseDurationSeconds: this.durationMs / 1000, acquireTime: now, renewTime: now };
    const current = await this.o.api.get(this.o.name);
    if (!current) {
      const made = await this.o.api.create({ metadata: { name: this.o.name }, spec: { ...mine, leaseTransitions: 0 } });
      return this.took(made, t0);
    }
    this.lease = current;
    const s = current.spec;
    const free = !s.holderIdentity || s.holderIdentity === this.o.identity;
    const key = `${s.holderIdentity}|${s.renewTime}|${current.metadata.resourceVersion}`;
    if (this.observed?.key !== key) this.observed = { key, at: t0 };
    const expired = t0 - this.observed.at >= (s.leaseDurationSeconds ?? this.durationMs / 1000) * 1000;
    if (!free && !expired) return false;
    const taken = await this.o.api.replace({ ...current, spec: { ...s, ...mine, leaseTransitions: (s.leaseTransitions ?? 0) + (s.holderIdentity === this.o.identity ? 0 : 1) } });
    return this.took(taken, t0);
  }

  private took(lease: Lease | undefined, startedAt: number): boolean {
    if (!lease) return false;
    this.lease = lease;
    this.renewedAt = startedAt;
    return true;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.stopped || !this.holding) return;
    this.timer = setTimeout(() => void this.renew(), Math.min(this.renewEveryMs, Math.max(0, this.renewedAt + this.durationMs - this.marginMs - Date.now())));
  }

  private async renew(): Promise<void> {
    if (this.stopped || !this.holding) return;
    if (!this.held()) return this.lose('not renewed in time (API server unreachable?)');
    const t0 = Date.now();
    try {
      const lease = await this.o.api.replace({ ...this.lease!, spec: { ...this.lease!.spec, renewTime: microTime(t0), holderIdentity: this.o.identity } });
      if (!lease) {
        // changed under us: read it and see who holds it
        const now = await this.o.api.get(this.o.name);
        if (now?.spec.holderIdentity !== this.o.identity) return this.lose(`taken by ${now?.spec.holderIdentity ?? 'nobody'}`);
        this.lease = now;
      } else this.took(lease, t0);
    } catch (e) {
      this.o.log.warn({ lease: this.o.name, err: (e as Error).message }, 'machine Lease renew failed');
    }
    if (!this.held()) return this.lose('not renewed in time (API server unreachable?)');
    this.schedule();
  }

  private lose(why: string): void {
    if (!this.holding) return;
    this.holding = false;
    clearTimeout(this.timer);
    this.o.log.error({ lease: this.o.name, why }, 'lost the machine Lease: this pod must stop driving the machine');
    for (const fn of this.lostListeners) fn();
  }

  /** Stops renewing and hands the Lease back, so the next pod need not wait for it to expire. */
  async release(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.holding || !this.lease) return;
    this.holding = false;
    await this.o.api.replace({ ...this.lease, spec: { ...this.lease.spec, holderIdentity: null, renewTime: microTime(Date.now()), leaseDurationSeconds: 1 } }).catch((e: Error) => this.o.log.warn({ err: e.message }, 'machine Lease not released; it will expire'));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The machine's fence when the pod runs in Kubernetes (service account token mounted, API server in
 * the env), else undefined: `npm start` and tests run one pod per machine by construction.
 */
export function machineFenceFromEnv(machineId: string, log: Logger, env = process.env, dir = serviceAccountDir): MachineFence | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  if (!host || !existsSync(`${dir}/token`)) return undefined;
  const api = new LeaseApi({
    server: `https://${host.includes(':') ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT ?? '443'}`,
    namespace: readFileSync(`${dir}/namespace`, 'utf8').trim(),
    token: () => readFileSync(`${dir}/token`, 'utf8').trim(),
    ca: readFileSync(`${dir}/ca.crt`, 'utf8'),
  });
  return new MachineFence({ api, name: `machine-${machineId.toLowerCase()}`, identity: env.POD_NAME ?? hostname(), log });
}
