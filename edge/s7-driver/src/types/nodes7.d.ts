// The parts of nodes7 0.3.18 (CommonJS, untyped) that the benchmark's comparison probe uses.
declare module 'nodes7' {
  class NodeS7 {
    constructor(options?: { silent?: boolean; debug?: boolean });
    initiateConnection(params: { host: string; port: number; rack?: number; slot?: number; timeout?: number }, callback: (err?: unknown) => void): void;
    setTranslationCB(cb: (tag: string) => string): void;
    addItems(items: string | string[]): void;
    removeItems(items?: string | string[]): void;
    readAllItems(callback: (anythingBad: boolean, values: Record<string, unknown>) => void): void;
    writeItems(items: string | string[], values: unknown, callback: (anythingBad: boolean) => void): void;
    dropConnection(callback?: () => void): void;
  }
  export default NodeS7;
}
