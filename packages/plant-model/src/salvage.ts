import * as z from 'zod';

/**
 * What parsed of a value of type T: every part that failed its schema is left out (an object loses the key,
 * an array element becomes undefined so that the indices of the others stay right).
 */
export type Salvaged<T> = T extends readonly (infer E)[]
  ? (Salvaged<E> | undefined)[]
  : T extends object
    ? { [K in keyof T]?: Salvaged<T[K]> }
    : T;

const partial = Symbol('parsed in part');

/** Whether `value` (a result of salvage or a part of one) parsed whole, i.e. nothing was left out of it. */
export function parsedWhole(value: unknown): boolean {
  return value !== undefined && !(typeof value === 'object' && value !== null && partial in value);
}

function inPart<T extends object>(value: T): T {
  Object.defineProperty(value, partial, { value: true });
  return value;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses `value` with `schema` part by part, keeping every part that is valid on its own: the rules that
 * relate parts (references, duplicates, addresses against types) can then check an invalid file too,
 * and report together with the schema's own errors. Refinements of `schema` itself do not run.
 */
export function salvage<S extends z.ZodType>(schema: S, value: unknown): Salvaged<z.output<S>> | undefined {
  return salvageAny(schema, value) as Salvaged<z.output<S>> | undefined;
}

function salvageAny(schema: z.ZodType, value: unknown): unknown {
  const whole = schema.safeParse(value);
  if (whole.success) return whole.data;
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) return salvageAny(schema.unwrap() as z.ZodType, value);
  if (schema instanceof z.ZodArray) return Array.isArray(value) ? inPart(value.map((e) => salvageAny(schema.element as z.ZodType, e))) : undefined;
  if (!isRecord(value)) return undefined;
  if (schema instanceof z.ZodDiscriminatedUnion) {
    const key = schema.def.discriminator;
    const option = (schema.options as z.ZodType[]).find(
      (o) => o instanceof z.ZodObject && (o.shape[key] as z.ZodType).safeParse(value[key]).success,
    );
    return option && salvageAny(option, value);
  }
  if (schema instanceof z.ZodObject) {
    const out: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      const v = salvageAny(s, value[k]);
      if (v !== undefined) out[k] = v;
    }
    return inPart(out);
  }
  if (schema instanceof z.ZodRecord) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const key = (schema.keyType as z.ZodType).safeParse(k);
      const val = (schema.valueType as z.ZodType).safeParse(v);
      if (key.success && val.success) out[k] = val.data;
    }
    return inPart(out);
  }
  return undefined;
}
