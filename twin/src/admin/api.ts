import type {
  AuditEntry,
  CreateDeviceAnswer,
  CreateEdgeAnswer,
  CreateUserAnswer,
  CreateUserRequest,
  DevicesAnswer,
  EdgesAnswer,
  OkAnswer,
  QuarantineAnswer,
  UpdateUserRequest,
  UserListItem,
} from '@plant-twin/contracts';
import { apiClient } from '../lib/api/index.js';

const enc = encodeURIComponent;

/** GET /admin/quarantine's query (contracts: quarantineQuerySchema) */
export type QuarantineParams = { machineId?: string; from?: number; to?: number; limit?: number };

/** The admin endpoints (admin role): users, andon devices, edge credentials, audit log; the ingest quarantine (engineers too). */
export const adminApi = {
  users: () => apiClient.get<UserListItem[]>('/users'),
  createUser: (body: CreateUserRequest) => apiClient.post<CreateUserAnswer>('/users', body),
  updateUser: (username: string, body: UpdateUserRequest) => apiClient.patch<OkAnswer>(`/users/${enc(username)}`, body),
  devices: () => apiClient.get<DevicesAnswer>('/admin/devices'),
  createDevice: (name: string) => apiClient.post<CreateDeviceAnswer>('/admin/devices', { name }),
  revokeDevice: (id: number) => apiClient.delete<OkAnswer>(`/admin/devices/${id}`),
  edges: () => apiClient.get<EdgesAnswer>('/admin/edges'),
  createEdge: (edgeId: string) => apiClient.post<CreateEdgeAnswer>('/admin/edges', { edgeId }),
  revokeEdge: (edgeId: string) => apiClient.delete<OkAnswer>(`/admin/edges/${enc(edgeId)}`),
  audit: (q: { from?: number; to?: number; limit?: number; action?: string }) => apiClient.get<AuditEntry[]>('/audit', q),
  quarantine: (q: QuarantineParams) => apiClient.get<QuarantineAnswer>('/admin/quarantine', q),
};
