import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Aedes, AuthenticateError, Client } from 'aedes';
import { hashSecret, verifySecret, type Logger } from '@plant-twin/runtime';
import { maySubscribe, publishRefusal, type BrokerAcl } from './acl.js';

export interface BrokerAuth {
  /** user name -> scrypt hash of its password (`hashSecret`): the broker never holds a password */
  credentials: Record<string, string>;
  acl: BrokerAcl;
}

/** CONNACK return codes of MQTT 3.1.1 */
const refused = { clientId: 2, unavailable: 3, badCredentials: 4, notAuthorised: 5 } as const;
/**
 * scrypt costs ~50 ms of a core and 16 MB: at most this many run at once, the next logins wait their
 * turn (every pod connects at a broker's start), and beyond maxWaiting a flood is turned away
 */
const maxVerifying = 2;
const maxWaiting = 64;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();

/**
 * Every client authenticated and authorised by topic on aedes: a user name and password from the
 * broker's credentials (client id = user name, so no one takes over another program's session, the
 * publisher's durable one above all), publishes only on the topics of its rights (retained only where
 * they allow), subscriptions only within its filters (others get SUBACK 0x80). A refused publish
 * closes the connection (MQTT 3.1.1 has no negative PUBACK).
 */
export async function installAuth(aedes: Aedes, auth: BrokerAuth, log?: Logger): Promise<void> {
  const users = new WeakMap<Client, string>();
  // what a successful login presented, so a pod's reconnects do not pay scrypt again
  const verified = new Map<string, Buffer>();
  // unknown users are checked against a hash too, so timing does not tell which names exist
  const dummyHash = await hashSecret(randomBytes(18).toString('base64url'));
  let verifying = 0;
  const waiting: (() => void)[] = [];
  const turn = async (): Promise<void> => {
    if (verifying < maxVerifying) {
      verifying++;
      return;
    }
    if (waiting.length >= maxWaiting) throw new Error('too many logins at once');
    await new Promise<void>((r) => waiting.push(r));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next(); // the turn passes on: verifying stays the same
    else verifying--;
  };
  const refuse = (client: Client, code: number, why: string, username: string | undefined): AuthenticateError => {
    log?.warn({ client: client.id, username, address: (client.conn as { remoteAddress?: string }).remoteAddress, why }, 'mqtt connection refused');
    return Object.assign(new Error(why), { returnCode: code as AuthenticateError['returnCode'] });
  };

  aedes.authenticate = (client, username, password, done) => {
    if (!username) return done(refuse(client, refused.notAuthorised, 'no user name (anonymous clients are not allowed)', username), false);
    const presented = password ?? Buffer.alloc(0);
    const check = async (): Promise<boolean> => {
      const hash = auth.credentials[username];
      const known = verified.get(username);
      if (hash && known) return timingSafeEqual(known, sha256(presented));
      try {
        await turn();
      } catch (err) {
        throw refuse(client, refused.unavailable, (err as Error).message, username);
      }
      try {
        const ok = await verifySecret(presented.toString('utf8'), hash ?? dummyHash);
        if (ok && hash) verified.set(username, sha256(presented));
        return ok && hash !== undefined;
      } finally {
        release();
      }
    };
    check().then(
      (ok) => {
        if (!ok || !auth.acl[username]) return done(refuse(client, refused.badCredentials, 'wrong user name or password', username), false);
        if (client.id !== username) return done(refuse(client, refused.clientId, `client id must be the user name ${username}`, username), false);
        users.set(client, username);
        done(null, true);
      },
      (err: AuthenticateError) => done(err, false),
    );
  };

  aedes.authorizePublish = (client, packet, done) => {
    const username = client ? users.get(client) : undefined;
    const rights = username === undefined ? undefined : auth.acl[username];
    const why = rights ? publishRefusal(rights, packet.topic, packet.retain) : 'no authenticated client';
    if (!why) return done(null);
    log?.warn({ client: client?.id, topic: packet.topic, retain: packet.retain, why }, 'mqtt publish refused');
    done(new Error(`${username ?? 'anonymous'} ${why}`));
  };

  aedes.authorizeSubscribe = (client, sub, done) => {
    const username = users.get(client);
    const rights = username === undefined ? undefined : auth.acl[username];
    if (rights && maySubscribe(rights, sub.topic)) return done(null, sub);
    log?.warn({ client: client.id, filter: sub.topic }, 'mqtt subscription refused');
    done(null, null);
  };
}
