import type { SqlInterface } from '@plant-twin/plant-model';

/** The server answered PRELOGIN without encryption while the plant model requires it. */
export class EncryptionRefused extends Error {
  constructor(where: string) {
    super(
      `${where} did not negotiate TLS although the plant model requires encryption (encrypt: on); ` +
        'the login (with its password) was NOT sent. Turn on "Force Encryption" on the SQL Server (or give it a certificate), ' +
        'or set encrypt: off for this machine in the site file if the network path is trusted.',
    );
    this.name = 'EncryptionRefused';
  }
}

interface TediousInternals {
  performTlsNegotiation?: (payload: unknown, signal: AbortSignal) => Promise<void>;
  messageIo?: { tlsNegotiationComplete?: boolean };
}

/**
 * tedious 19 with `encrypt: true` carries on in clear text when the server answers PRELOGIN with
 * encryption OFF / NOT_SUP, and sends the login with the password unencrypted. This hooks the step
 * between the PRELOGIN reply and the LOGIN7 packet (tedious is pinned to 19.x) and aborts the
 * connection there unless TLS is up. If the hook point is missing (another tedious), it refuses every
 * connection rather than risk clear text.
 */
export function guardEncryption(conn: unknown, itf: SqlInterface, onRefused: (e: EncryptionRefused) => void): void {
  if (itf.encrypt !== 'on') return;
  const c = conn as TediousInternals;
  const where = `SQL Server ${itf.host}:${itf.port}`;
  const original = c.performTlsNegotiation;
  if (typeof original !== 'function') {
    c.performTlsNegotiation = async () => {
      const e = new EncryptionRefused(`${where} (cannot verify TLS with this tedious version)`);
      onRefused(e);
      throw e;
    };
    return;
  }
  c.performTlsNegotiation = async function (this: TediousInternals, payload, signal) {
    await original.call(this, payload, signal);
    if (!this.messageIo?.tlsNegotiationComplete) {
      const e = new EncryptionRefused(where);
      onRefused(e);
      throw e;
    }
  };
}

/** A clear message for a failed TDS 8 (strict) connect: the usual cause is a server without TDS 8. */
export function describeStrictFailure(itf: SqlInterface, err: Error): string {
  return (
    `SQL Server ${itf.host}:${itf.port} failed the TDS 8.0 strict-encryption handshake (TLS before PRELOGIN): ${err.message}. ` +
    'The server may not support TDS 8 (SQL Server 2022+ with strict encryption configured); use encrypt: on instead.'
  );
}
