// Minimal typings for the parts of node-snap7 (CommonJS, no bundled types) the simulator uses.
declare module 'node-snap7' {
  export interface S7Event {
    EvtTime: Date;
    EvtSender: string;
    EvtCode: number;
    EvtRetCode: number;
    EvtParam1: number;
    EvtParam2: number;
    EvtParam3: number;
    EvtParam4: number;
  }
  export class S7Server {
    readonly srvAreaDB: number;
    readonly LocalPort: number;
    readonly MaxClients: number;
    readonly evcDataWrite: number;
    readonly S7CpuStatusRun: number;
    readonly S7CpuStatusStop: number;
    StartTo(ip: string): boolean | number;
    Stop(): boolean | number;
    SetParam(param: number, value: number): boolean;
    RegisterArea(area: number, index: number, buffer: Buffer): boolean;
    GetArea(area: number, index: number): Buffer;
    SetArea(area: number, index: number, buffer: Buffer): void;
    SetCpuStatus(status: number): boolean;
    ClientsCount(): number;
    LastError(): number;
    ErrorText(code: number): string;
    SetEventMask(mask: number): void;
    on(event: 'event', cb: (e: S7Event) => void): this;
  }
  export interface S7Item {
    Area: number;
    WordLen: number;
    DBNumber?: number;
    Start: number;
    Amount: number;
    Data?: Buffer;
    Result?: number;
  }
  export class S7Client {
    readonly S7AreaDB: number;
    readonly S7WLBit: number;
    readonly S7WLByte: number;
    readonly S7WLWord: number;
    readonly S7WLDWord: number;
    readonly S7WLReal: number;
    readonly RemotePort: number;
    SetParam(param: number, value: number): boolean;
    ConnectTo(ip: string, rack: number, slot: number): boolean;
    ConnectTo(ip: string, rack: number, slot: number, cb: (err?: number) => void): void;
    Disconnect(): boolean;
    Connected(): boolean;
    DBRead(db: number, start: number, size: number): Buffer | false;
    DBRead(db: number, start: number, size: number, cb: (err: number | undefined, data: Buffer) => void): void;
    DBWrite(db: number, start: number, size: number, buf: Buffer): boolean;
    DBWrite(db: number, start: number, size: number, buf: Buffer, cb: (err?: number) => void): void;
    WriteArea(area: number, db: number, start: number, amount: number, wordLen: number, buf: Buffer): boolean;
    ReadMultiVars(items: S7Item[]): S7Item[] | false;
    WriteMultiVars(items: S7Item[]): S7Item[] | false;
    LastError(): number;
    ErrorText(code: number): string;
    PDULength(): number;
  }
  const snap7: { S7Server: typeof S7Server; S7Client: typeof S7Client };
  export default snap7;
}
