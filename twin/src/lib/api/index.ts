import { ApiClient } from './client.js';
import { endpoints } from './endpoints.js';

/** The app's client; the session store registers what a 401 does. */
export const apiClient = new ApiClient({ onUnauthorized: (path) => unauthorizedHandler?.(path) });
export const api = endpoints(apiClient);

let unauthorizedHandler: ((path: string) => void) | undefined;
export function onUnauthorized(handler: (path: string) => void): void {
  unauthorizedHandler = handler;
}

export { ApiClient, ApiError, csrfCookie, csrfHeader, readCookie, queryString, reasonOf } from './client.js';
export { endpoints, maxSeriesTags, type Endpoints } from './endpoints.js';
export type * from './types.js';
