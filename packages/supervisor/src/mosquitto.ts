import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { maxMqttPacketBytes } from '@plant-twin/contracts';
import type { Plant } from '@plant-twin/plant-model';
import { mqttUsers, type MqttUser } from './deployment.js';

/**
 * The site's Mosquitto (2.x), configured from the same derivation as the embedded broker: a password
 * file, an ACL file and a mosquitto.conf that refuses anonymous clients, bounds packets and ties
 * each client id to its user name.
 */

/**
 * One line of a Mosquitto 2 password file, as `mosquitto_passwd` writes it: PBKDF2-HMAC-SHA512,
 * `<user>:$7$<iterations>$<12-byte salt, base64>$<64-byte hash, base64>`. The passwords are random
 * (18 bytes); the iteration count only slows a guess at a human password, so Mosquitto's 101 would
 * do, but each connect pays it once and 1000 costs well under a millisecond.
 */
export function mosquittoPasswordLine(username: string, password: string, iterations = 1000, salt = randomBytes(12)): string {
  if (/[:\n]/.test(username)) throw new Error(`an MQTT user name cannot hold ":" or a line break: ${JSON.stringify(username)}`);
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `${username}:$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/**
 * The ACL file: per user, `topic write` for what it may publish and `topic read` for what it may
 * subscribe to; anything not listed is denied. Mosquitto's ACL cannot tell retained publishes
 * apart (only `retain_available` for all): on Mosquitto a pod may retain on its own topics, which
 * the embedded broker refuses beyond its pod status.
 */
export function mosquittoAcl(users: MqttUser[]): string {
  return users
    .map((u) => [`# ${u.program}`, `user ${u.username}`, ...u.rights.publish.map((f) => `topic write ${f}`), ...u.rights.subscribe.map((f) => `topic read ${f}`)].join('\n'))
    .join('\n\n')
    .concat('\n');
}

export interface MosquittoOptions {
  /** plain listener (omit for TLS only) */
  port?: number;
  /** address the listeners bind */
  host: string;
  /** MQTT over TLS: certificate and key files Mosquitto reads */
  tls?: { port: number; certFile: string; keyFile: string };
  /** persistence folder (the publisher's queued messages survive a broker restart); omitted: none */
  dataDir?: string;
  /**
   * How much Mosquitto queues for the data publisher while it is away, in MB: beyond it Mosquitto
   * drops messages it has acknowledged to the pods (set it above what an outage of the publisher
   * brings: the plant makes ~18 MB an hour).
   */
  queueMb?: number;
  /**
   * The user Mosquitto runs as when started as root (its `user` setting; Mosquitto's default is
   * `mosquitto`): the files are 0600, so they must belong to it.
   */
  user?: string;
}

export function mosquittoConf(files: { passwordFile: string; aclFile: string }, o: MosquittoOptions): string {
  const lines = [
    '# Generated from the plant model by `npm run edge:secrets`: do not edit, regenerate.',
    'per_listener_settings false',
    'allow_anonymous false',
    `password_file ${files.passwordFile}`,
    `acl_file ${files.aclFile}`,
    `max_packet_size ${maxMqttPacketBytes}`,
    `max_queued_bytes ${Math.round((o.queueMb ?? 256) * 1024 * 1024)}`,
    'max_queued_messages 0',
    'max_inflight_messages 100',
    ...(o.dataDir ? ['persistence true', `persistence_location ${resolve(o.dataDir)}/`] : ['persistence false']),
    ...(o.user ? [`user ${o.user}`] : []),
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
  ];
  // per listener (placed before any listener line it would open a default one on 1883): nobody
  // takes over another program's session, the publisher's durable one above all
  const listener = (port: number) => ['', `listener ${port} ${o.host}`, 'use_username_as_clientid true'];
  if (o.port !== undefined) lines.push(...listener(o.port));
  if (o.tls) lines.push(...listener(o.tls.port), `certfile ${resolve(o.tls.certFile)}`, `keyfile ${resolve(o.tls.keyFile)}`, 'tls_version tlsv1.2');
  return `${lines.join('\n')}\n`;
}

/**
 * Writes `mosquitto.conf`, `passwd` and `acl` into `dir` (all 0600) for the plant's MQTT users with
 * the passwords in `secrets`; returns the path of mosquitto.conf (`mosquitto -c <it>`).
 */
export function writeMosquittoConfig(dir: string, plant: Plant, secrets: Record<string, string>, o: MosquittoOptions): string {
  const users = mqttUsers(plant);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = { passwordFile: resolve(dir, 'passwd'), aclFile: resolve(dir, 'acl') };
  const write = (file: string, text: string) => {
    writeFileSync(file, text, { mode: 0o600 });
    chmodSync(file, 0o600);
  };
  write(
    files.passwordFile,
    users
      .map((u) => {
        const password = secrets[u.passwordKey];
        if (!password) throw new Error(`secret ${u.passwordKey} (MQTT password of ${u.program}) is missing`);
        return mosquittoPasswordLine(u.username, password);
      })
      .join('\n') + '\n',
  );
  write(files.aclFile, mosquittoAcl(users));
  const conf = join(dir, 'mosquitto.conf');
  write(conf, mosquittoConf(files, o));
  return conf;
}
