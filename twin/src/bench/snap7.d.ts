// The part of node-snap7 (CommonJS, no bundled types) the benchmark writes a PLC value with.
declare module 'node-snap7' {
  export class S7Client {
    readonly RemotePort: number;
    SetParam(param: number, value: number): boolean;
    ConnectTo(ip: string, rack: number, slot: number, cb: (err?: number) => void): void;
    DBWrite(db: number, start: number, size: number, buf: Buffer, cb: (err?: number) => void): void;
    Disconnect(): boolean;
    ErrorText(code: number): string;
  }
  const snap7: { S7Client: typeof S7Client };
  export default snap7;
}
