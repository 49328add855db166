
export interface TlsPair {
  key: string;
  cert: string;
}

/**
 * A self-signed certificate for the simulated plant (TDS server, cloud on localhost). Real sites
 * mount their own certificate files instead.
 */
// selfsigned (with node-forge) costs ~7 MB RSS; load it only in the programs that generate a certificate
export async function selfSignedTls(commonName = 'localhost', altNames: string[] = ['localhost', '127.0.0.1']): Promise<TlsPair> {
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keySize: 2048,
    days: 825,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: altNames.map((n) => (/^[\d.]+$/.test(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })) },
    ],
  } as Parameters<typeof generate>[1]);
  return { key: pems.private, cert: pems.cert };
}
