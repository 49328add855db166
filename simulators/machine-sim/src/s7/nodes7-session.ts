import NodeS7 from 'nodes7';

/**
 * A small promise wrapper around nodes7 for the simulator's own checks (sim:check, tests): an
 * independent client that proves the S7 face works with the library the edge uses. Reads go in
 * small batches because nodes7 does not cap items per request and snap7 refuses more than 20
 * (see DESIGN.md); the edge's own driver plans this properly.
 */
export class Nodes7Session {
  private readonly conn = new NodeS7({ silent: true });

  static async connect(host: string, port: number, rack = 0, slot = 1, timeoutMs = 5000): Promise<Nodes7Session> {
    const s = new Nodes7Session();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nodes7: no connection to ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
      s.conn.initiateConnection({ host, port, rack, slot, timeout: timeoutMs }, (err) => {
        clearTimeout(timer);
        if (err) reject(new Error(`nodes7: cannot connect to ${host}:${port}: ${String(err)}`));
        else resolve();
      });
    });
    s.conn.setTranslationCB((t) => t);
    return s;
  }

  /** Reads the given addresses, at most `batch` items per request. */
  async read(addresses: readonly string[], batch = 10): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < addresses.length; i += batch) {
      const chunk = addresses.slice(i, i + batch);
      this.conn.removeItems();
      this.conn.addItems([...chunk]);
      const values = await new Promise<Record<string, unknown>>((resolve, reject) =>
        this.conn.readAllItems((bad, v) => (bad ? reject(new Error(`nodes7: bad quality reading ${chunk.join(' ')}: ${JSON.stringify(v)}`)) : resolve(v))),
      );
      Object.assign(out, values);
    }
    return out;
  }

  async write(addresses: readonly string[], values: readonly unknown[]): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.conn.writeItems([...addresses], [...values], (bad) => (bad ? reject(new Error(`nodes7: write of ${addresses.join(' ')} failed`)) : resolve()));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.conn.dropConnection(() => resolve()));
  }
}
