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
