import * as z from 'zod';

/**
 * What one MQTT user may do on the edge broker. The deployment derives it for every program
 * (packages/supervisor/src/deployment.ts, mqttUsers) and gives it to the broker as MQTT_ACL; the
 * site's Mosquitto gets the same rules as an acl_file.
 */
export interface ClientRights {
  /** topic filters it may publish on */
  publish: string[];
  /** topic filters on which its publishes may be retained (the contract retains only pod status) */
  retain: string[];
  /** filters its subscriptions must lie within */
  subscribe: string[];
}

/** user name -> rights; a user not listed may do nothing */
export type BrokerAcl = Record<string, ClientRights>;

const level = /^[^#+/]*$/;
const filter = z
  .string()
  .min(1)
  .max(256)
  .refine((f) => f.split('/').every((l, i, all) => level.test(l) || l === '+' || (l === '#' && i === all.length - 1)), 'must be an MQTT topic filter');
export const brokerAclSchema = z.record(
  z.string().min(1).max(64),
  z.strictObject({ publish: z.array(filter), retain: z.array(filter), subscribe: z.array(filter) }),
);

/** Does `topic` (no wildcards) match `filter`? MQTT 3.1.1 section 4.7. */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && !filter.startsWith('$')) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

/** Does `allowed` match every topic that `requested` (a subscription filter) can match? */
export function filterCovers(allowed: string, requested: string): boolean {
  const a = allowed.split('/');
  const r = requested.split('/');
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '#') return true;
    if (i >= r.length || r[i] === '#') return false;
    if (a[i] !== '+' && (r[i] === '+' || a[i] !== r[i])) return false;
  }
  return a.length === r.length;
}

/** Why `rights` do not allow this publish, or undefined when they do. */
export function publishRefusal(rights: ClientRights, topic: string, retain: boolean): string | undefined {
  if (!rights.publish.some((f) => topicMatches(f, topic))) return `may not publish on ${topic}`;
  if (retain && !rights.retain.some((f) => topicMatches(f, topic))) return `may not retain messages on ${topic}`;
  return undefined;
}

export function maySubscribe(rights: ClientRights, requested: string): boolean {
  return rights.subscribe.some((f) => filterCovers(f, requested));
}
