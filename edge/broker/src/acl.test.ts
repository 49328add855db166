import { describe, expect, it } from 'vitest';
import { brokerAclSchema, filterCovers, publishRefusal, topicMatches } from './acl.js';
import { PacketSizeScanner } from './packet-size.js';

describe('topic filters', () => {
  it('match topics as MQTT 3.1.1 says', () => {
    expect(topicMatches('a/+/c', 'a/b/c')).toBe(true);
    expect(topicMatches('a/+/c', 'a/b/c/d')).toBe(false);
    expect(topicMatches('a/#', 'a')).toBe(true);
    expect(topicMatches('a/#', 'a/b/c')).toBe(true);
    expect(topicMatches('#', '$SYS/broker')).toBe(false);
    expect(topicMatches('a/b', 'a/B')).toBe(false);
  });

  it('cover a requested subscription only when every topic it can match is allowed', () => {
    const plant = 'plant-twin/v1/p1/+/+/+';
    expect(filterCovers(plant, plant)).toBe(true);
    expect(filterCovers(plant, 'plant-twin/v1/p1/press/PRS-01/state')).toBe(true);
    expect(filterCovers(plant, 'plant-twin/v1/p1/press/+/state')).toBe(true);
    expect(filterCovers(plant, 'plant-twin/v1/p1/#')).toBe(false);
    expect(filterCovers(plant, 'plant-twin/v1/+/+/+/+')).toBe(false);
    expect(filterCovers(plant, '#')).toBe(false);
    expect(filterCovers('a/#', 'a/+/x')).toBe(true);
  });

  it('refuse what the rights leave out, naming it', () => {
    const pod = { publish: ['r/p1/press/PRS-01/+'], retain: ['r/p1/press/PRS-01/pod'], subscribe: [] };
    expect(publishRefusal(pod, 'r/p1/press/PRS-01/state', false)).toBeUndefined();
    expect(publishRefusal(pod, 'r/p1/press/PRS-01/pod', true)).toBeUndefined();
    expect(publishRefusal(pod, 'r/p1/press/PRS-01/state', true)).toBe('may not retain messages on r/p1/press/PRS-01/state');
    expect(publishRefusal(pod, 'r/p1/press/PRS-02/state', false)).toBe('may not publish on r/p1/press/PRS-02/state');
    expect(brokerAclSchema.safeParse({ u: { publish: ['a/#/b'], retain: [], subscribe: [] } }).success).toBe(false);
  });
});

describe('packet size scanner', () => {
  const packet = (body: number) => {
    const len: number[] = [];
    let n = body;
    do {
      len.push((n % 128) | (n >= 128 ? 0x80 : 0));
      n = Math.floor(n / 128);
    } while (n > 0);
    return Buffer.concat([Buffer.from([0x30, ...len]), Buffer.alloc(body)]);
  };

  it('follows packet boundaries across chunks of any size and names the first packet over the bound', () => {
    const stream = Buffer.concat([packet(0), packet(127), packet(128), packet(16_000), packet(1000)]);
    for (const step of [1, 2, 7, 500, stream.length]) {
      const s = new PacketSizeScanner(16_003);
      let found = 0;
      for (let i = 0; i < stream.length && !found; i += step) found = s.scan(stream.subarray(i, i + step));
      expect(found, `chunks of ${step}`).toBe(0);
    }
    const s = new PacketSizeScanner(16_003);
    expect(s.scan(Buffer.concat([packet(10), packet(16_001).subarray(0, 4)]))).toBe(16_004);
    expect(new PacketSizeScanner(1000).scan(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff]))).toBe(Number.POSITIVE_INFINITY);
  });
});
