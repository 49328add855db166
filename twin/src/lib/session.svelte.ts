/**
 * The browser's session: a cookie the cloud sets (httpOnly, SameSite=Strict) plus the CSRF token the
 * api client sends on changes. This store only knows who is logged in and with which role; the cloud
 * decides every refusal, the twin disables what a role cannot do and says which role it needs.
 */
import { ApiError, api, apiClient } from './api/index.js';
import type { MeAnswer, Role } from './api/types.js';

export type SessionStatus = 'unknown' | 'anonymous' | 'user';

export class Session {
  user = $state<MeAnswer | null>(null);
  status = $state<SessionStatus>('unknown');
  /** why the last login / device sign-in failed, from the cloud */
  error = $state<string | null>(null);

  constructor(private readonly calls = api) {}

  get role(): Role | null {
    return this.user?.role ?? null;
  }

  get isDevice(): boolean {
    return this.user?.kind === 'device';
  }

  /** True when the user holds one of `roles` (no roles: any logged-in user). */
  has(...roles: Role[]): boolean {
    if (!this.user) return false;
    return roles.length === 0 || roles.includes(this.user.role);
  }

  /** Asks the cloud who this browser is (after a reload, the cookie is all there is). */
  async refresh(): Promise<void> {
    try {
      this.accept(await this.calls.me());
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) this.clear();
      else throw e;
    }
  }

  async login(username: string, password: string): Promise<boolean> {
    try {
      const r = await this.calls.login(username, password);
      apiClient.setCsrfToken(r.csrfToken);
      this.accept({ ...r.user, expiresAt: r.expiresAt, kind: 'user' });
      return true;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
      return false;
    }
  }

  /** An andon screen signs in with its device token (viewer role, no login prompt). */
  async signInDevice(token: string): Promise<boolean> {
    try {
      const r = await this.calls.device(token);
      apiClient.setCsrfToken(r.csrfToken);
      this.accept({ ...r.user, expiresAt: r.expiresAt, kind: 'device' });
      return true;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
      return false;
    }
  }

  /**
   * An andon screen reloaded after its device sign-in: the token left the URL, the long-lived device
   * cookie is all there is, and the edge andon server has no /auth/me. A successful read of the plant
   * with that cookie is the proof; the screen is a viewer.
   */
  resumeDevice(): void {
    this.accept({ username: '', role: 'viewer', kind: 'device', expiresAt: 0 });
  }

  async logout(): Promise<void> {
    try {
      await this.calls.logout();
    } finally {
      this.clear();
    }
  }

  /** The session ended (a 401 anywhere): forget the user, keep the page. */
  clear(): void {
    this.user = null;
    this.status = 'anonymous';
    apiClient.setCsrfToken(null);
  }

  private accept(me: MeAnswer): void {
    if (me.csrfToken) apiClient.setCsrfToken(me.csrfToken);
    this.user = me;
    this.status = 'user';
    this.error = null;
  }
}

export const session = new Session();
