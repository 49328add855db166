import { jsonRequest, type JsonRequestOptions } from '@plant-twin/runtime';

export interface HttpResult {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/** A JSON request over a real socket (runtime's jsonRequest), with a bearer token when given. */
export function call(method: string, url: string, opts: JsonRequestOptions & { ca?: string; token?: string } = {}): Promise<HttpResult> {
  const { token, ...rest } = opts;
  return jsonRequest(method, url, { ...rest, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...opts.headers } });
}
