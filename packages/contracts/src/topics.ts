import type { MessageKind } from './messages.js';

/**
 * Unified namespace: plant-twin/v1/<plant>/<area>/<machine>/<kind>. Consumers subscribe with
 * wildcards, e.g. `plant-twin/v1/plant1/+/+/#` for everything of one plant.
 */
export const topicRoot = 'plant-twin/v1';

export interface TopicParts {
  plantId: string;
  areaId: string;
  machineId: string;
  kind: MessageKind;
}

export function machineTopic(p: TopicParts): string {
  return `${topicRoot}/${p.plantId}/${p.areaId}/${p.machineId}/${p.kind}`;
}

export function parseTopic(topic: string): TopicParts | null {
  const parts = topic.split('/');
  if (parts.length !== 6 || `${parts[0]}/${parts[1]}` !== topicRoot) return null;
  const [, , plantId, areaId, machineId, kind] = parts as [string, string, string, string, string, MessageKind];
  return { plantId, areaId, machineId, kind };
}

/** Every topic of one machine: what its pod may publish on (the brokers' ACL). */
export function machineFilter(p: Omit<TopicParts, 'kind'>): string {
  return `${topicRoot}/${p.plantId}/${p.areaId}/${p.machineId}/+`;
}

/** Subscription filter for every machine message of a plant. */
export function plantFilter(plantId: string): string {
  return `${topicRoot}/${plantId}/+/+/+`;
}

/**
 * MQTT client id of an edge's data publisher: its persistent session, which the edge broker holds
 * from its start (so the broker's configuration and the publisher must agree on it).
 */
export function publisherClientId(edgeId: string): string {
  return `publisher-${edgeId}`;
}
