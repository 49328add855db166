import * as z from 'zod';

/** Program configuration comes only from environment variables: validated once, all errors at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function readEnv<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const r = schema.safeParse(env);
  if (r.success) return r.data;
  throw new ConfigError(r.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
}

/** Reads a secret from the environment; refuses to run without it rather than fall back to a default. */
export function requireSecret(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const v = env[name];
  if (!v) throw new ConfigError([`${name}: secret not set (mount it from a Kubernetes Secret or export it)`]);
  return v;
}

export const portFromEnv = z.coerce.number().int().min(0).max(65535);

/**
 * BIND_HOST: the address a program's listeners bind, the same variable in every program. 127.0.0.1
 * unless told otherwise: `npm start -- --host <addr>` sets it for the local plant, the Kubernetes
 * manifests set 0.0.0.0 (NetworkPolicies decide who reaches what there).
 */
export const bindHostFromEnv = z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address, e.g. 127.0.0.1 or 0.0.0.0' }).default('127.0.0.1');

/** An environment variable holding JSON of `schema`; `example` shows the expected form in the error. */
export function jsonFromEnv<S extends z.ZodType>(schema: S, example: string) {
  return z.string().transform((text, ctx): z.output<S> => {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be JSON ${example}` });
      return z.NEVER;
    }
    const r = schema.safeParse(data);
    if (r.success) return r.data;
    for (const i of r.error.issues) ctx.addIssue({ code: 'custom', message: `${i.path.map(String).join('.') || '(root)'}: ${i.message}` });
    return z.NEVER;
  });
}
