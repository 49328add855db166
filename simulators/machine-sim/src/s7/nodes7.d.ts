// Minimal typings for nodes7 0.3 (CommonJS, no bundled types), used by the independent-client tests and sim:check.
declare module 'nodes7' {
  type Values = Record<string, unknown>;
  class NodeS7 {
    constructor(opts?: { silent?: boolean; debug?: boolean });
    initiateConnection(params: { host: string; port: number; rack?: number; slot?: number; timeout?: number }, cb: (err?: unknown) => void): void;
    dropConnection(cb?: () => void): void;
    setTranslationCB(cb: (tag: string) => string): void;
    addItems(items: string | string[]): void;
    removeItems(items?: string | string[]): void;
    readAllItems(cb: (anythingBad: boolean, values: Values) => void): void;
    writeItems(items: string | string[], values: unknown, cb: (anythingBad: boolean) => void): number;
  }
  export default NodeS7;
}
