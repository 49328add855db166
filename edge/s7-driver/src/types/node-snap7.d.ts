// The parts of node-snap7 1.0.9 (CommonJS, untyped) that the driver's tests and benchmark use.
declare module 'node-snap7' {
  import { EventEmitter } from 'node:events';
  export class S7Server extends EventEmitter {
    constructor();
    readonly LocalPort: number;
    readonly PDURequest: number;
    readonly MaxClients: number;
    readonly srvAreaDB: number;
    readonly evcNone: number;
    readonly evcAll: number;
    readonly evcPDUincoming: number;
    SetParam(param: number, value: number): boolean;
    GetParam(param: number): number | false;
    RegisterArea(area: number, index: number, buffer: Buffer): boolean;
    SetArea(area: number, index: number, buffer: Buffer): boolean;
    GetArea(area: number, index: number): Buffer;
    SetEventMask(mask: number): void;
    StartTo(ip: string, callback?: (err?: unknown) => void): unknown;
    Stop(callback?: (err?: unknown) => void): unknown;
    LastError(): number;
    ErrorText(code: number): string;
    EventText(event: unknown): string;
    ClientsCount(): number;
  }
  const snap7: { S7Server: typeof S7Server };
  export default snap7;
}
