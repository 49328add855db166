import { describe, expect, it } from 'vitest';
import { ConfigError } from '@plant-twin/runtime';
import { publisherConfigFromEnv } from './config.js';

const base = { CLOUD_URL: 'https://cloud.example.com', EDGE_ID: 'edge-1', EDGE_TOKEN: 'secret', BUFFER_DIR: '/var/lib/publisher' };

describe('publisher configuration from the environment', () => {
  it('reads the plant, the cloud and the buffer settings', () => {
    const c = publisherConfigFromEnv({ ...base, BUFFER_MAX_MB: '2', MQTT_URL: 'mqtt://broker:1883' });
    expect(c).toMatchObject({ plantId: 'plant1', edgeId: 'edge-1', edgeToken: 'secret', bufferMaxBytes: 2 * 1024 * 1024, mqttUrl: 'mqtt://broker:1883', port: 12200 });
    expect(c.machineIds).toHaveLength(11);
    expect(c.host).toBe('127.0.0.1');
    expect(publisherConfigFromEnv({ ...base, BIND_HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });

  it('takes the broker credentials as a user name and a secret password, never without the password', () => {
    const c = publisherConfigFromEnv({ ...base, MQTT_USERNAME: 'publisher-edge-1', MQTT_PASSWORD: 'mqtt secret' });
    expect(c).toMatchObject({ mqttUsername: 'publisher-edge-1', mqttPassword: 'mqtt secret' });
    expect(() => publisherConfigFromEnv({ ...base, MQTT_USERNAME: 'publisher-edge-1' })).toThrow(/MQTT_PASSWORD: secret not set/);
  });

  it('refuses clear-text HTTP to anything but localhost, naming the variable', () => {
    expect(publisherConfigFromEnv({ ...base, CLOUD_URL: 'http://localhost:8080' }).cloudUrl).toBe('http://localhost:8080');
    expect(() => publisherConfigFromEnv({ ...base, CLOUD_URL: 'http://cloud.example.com' })).toThrow(/CLOUD_URL: must be https/);
  });

  it('reports every bad variable at once and never runs without the edge credential', () => {
    let error: unknown;
    try {
      publisherConfigFromEnv({ CLOUD_URL: 'ftp://x', EDGE_ID: 'Edge_1', BUFFER_MAX_MB: '-1' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const v of ['CLOUD_URL', 'EDGE_ID', 'BUFFER_DIR', 'BUFFER_MAX_MB']) expect(problems).toContain(v);
    expect(() => publisherConfigFromEnv({ ...base, EDGE_TOKEN: '' })).toThrow(/EDGE_TOKEN: secret not set/);
  });
});
