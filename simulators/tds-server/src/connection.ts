/** One client connection: PRELOGIN, TLS, LOGIN7, then SQL batches and RPCs until it closes. */
import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { Logger } from '@plant-twin/runtime';
import type { SqlDatabase } from './database.js';
import { SqlError, sqlErrors } from './errors.js';
import { parseLogin7 } from './login7.js';
import { buildPreLoginResponse, Encrypt, negotiateEncryption, parsePreLogin, type TlsMode } from './prelogin.js';
import { declaredNames, parseRpc, parseSqlBatch, ProcId, type RpcRequest } from './requests.js';
import { Response } from './response.js';
import type { Variable } from './sql/eval.js';
import { parseBatch } from './sql/parser.js';
import { Session } from './sql/session.js';
import { TlsTunnel } from './tls-tunnel.js';
import * as tok from './tokens.js';
import { MessageReader, packetize, PacketType, ProtocolError, Reader, type TdsMessage, type Writer } from './wire.js';

export interface ServerUser {
  user: string;
  password: string;
  /** databases this login may open (all when omitted); the first is its default database */
  databases?: string[];
}

export interface ConnectionConfig {
  users: ServerUser[];
  databases: Map<string, SqlDatabase>;
  tls: TlsMode;
  secureContext: (() => SecureContext) | null;
  serverName: string;
  log: Logger;
  loginTimeoutMs: number;
  maxMessageBytes: number;
  metrics: { requests: (kind: string) => void; errors: (number: number) => void };
}

type State = 'prelogin' | 'login' | 'ready' | 'closed';

/** an OUTPUT parameter of an RPC, answered with a RETURNVALUE token */
interface Output {
  ordinal: number;
  name: string;
  variable: Variable;
}

const INITIAL_PACKET_SIZE = 4096;

export class TdsConnection {
  private state: State = 'prelogin';
  private readonly reader: MessageReader;
  private tunnel: TlsTunnel | null = null;
  private loginOnlyTls = false;
  private requireEncryption = false;
  /** negotiated with the client at login (ENVCHANGE packet size) */
  packetSize = INITIAL_PACKET_SIZE;
  private session: Session | null = null;
  private readonly queue: TdsMessage[] = [];
  private busy = false;
  private running: { abort: AbortController; attention: boolean } | null = null;
  /** sp_prepare handles of this connection */
  private readonly prepared = new Map<number, { sql: string; names: string[] }>();
  private nextHandle = 1;
  /** transactions begun on this connection, for their descriptors */
  private transactions = 0;
  /** the next response starts by acknowledging a connection reset */
  private resetAck: { database: { name: string; old: string } | undefined } | null = null;
  private loginTimer: NodeJS.Timeout | undefined;
  private firstChunk = true;
  /** TLS completed on this connection (for the login only, if loginOnlyTls) */
  private tlsDone = false;
  user: string | null = null;

  constructor(
    private readonly socket: Socket,
    readonly spid: number,
    private readonly config: ConnectionConfig,
  ) {
    this.reader = new MessageReader((m) => this.onMessage(m), config.maxMessageBytes);
    socket.setNoDelay(true);
    // half-open connections of vanished clients (a pod on a dead node) are found and closed
    socket.setKeepAlive(true, 30_000);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
    this.loginTimer = setTimeout(() => {
      this.config.log.debug({ spid }, 'login timeout');
      this.close();
    }, config.loginTimeoutMs);
  }

  /** 'full': the session is encrypted; 'login': only LOGIN7 was (client said ENCRYPT_OFF); 'none' */
  get encryption(): 'none' | 'login' | 'full' {
    if (!this.tlsDone) return 'none';
    return this.loginOnlyTls ? 'login' : 'full';
  }

  get encrypted(): boolean {
    return this.encryption === 'full';
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    // SQL Server rolls back what a vanished client left open
    if (this.session && this.session.tranCount > 0) this.session.rollback();
    clearTimeout(this.loginTimer);
    this.running?.abort.abort();
    this.tunnel?.destroy();
    this.socket.destroy();
  }

  private fail(e: unknown): void {
    if (this.state === 'closed') return;
    this.config.log.debug({ spid: this.spid, err: e instanceof Error ? e.message : String(e) }, 'closing connection');
    this.close();
  }

  private onData(d: Buffer): void {
    try {
      if (this.firstChunk) {
        this.firstChunk = false;
        // TDS 8.0: a TLS ClientHello before any TDS packet
        if (d[0] === 0x16 && this.config.tls !== 'off') return this.startTls(true, d);
      }
      if (this.tunnel?.active) this.tunnel.input(d);
      else this.reader.push(d);
    } catch (e) {
      this.fail(e);
    }
  }

  private startTls(strict: boolean, first?: Buffer): void {
    const ctx = this.config.secureContext?.();
    if (!ctx) throw new ProtocolError('TLS requested but no certificate');
    const tunnel = new TlsTunnel(ctx, strict, (b) => this.socket.write(b), (type, payload) => {
      for (const p of packetize(type, payload, this.packetSize, this.spid)) this.socket.write(p);
    });
    this.tunnel = tunnel;
    tunnel.socket.on('data', (d: Buffer) => {
      try {
        this.reader.push(d);
      } catch (e) {
        this.fail(e);
      }
    });
    tunnel.socket.on('secure', () => {
      this.tlsDone = true;
    });
    tunnel.socket.on('error', (e) => {
      if (tunnel.active) this.fail(e);
    });
    if (first) tunnel.input(first);
  }

  private write(b: Buffer): void {
    if (this.state === 'closed') return;
    if (this.tunnel?.active) this.tunnel.socket.write(b);
    else this.socket.write(b);
  }

  private response(): Response {
    const res = new Response((b) => this.write(b), this.packetSize, this.spid);
    if (this.resetAck) {
      tok.envResetConnection(res.w);
      if (this.resetAck.database) tok.envDatabase(res.w, this.resetAck.database.name, this.resetAck.database.old);
      this.resetAck = null;
    }
    return res;
  }

  private onMessage(m: TdsMessage): void {
    if (m.type === PacketType.Attention) return this.onAttention();
    this.queue.push(m);
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue.length && this.state !== 'closed') await this.handle(this.queue.shift()!);
    } catch (e) {
      this.fail(e);
    } finally {
      this.busy = false;
    }
  }

  private async handle(m: TdsMessage): Promise<void> {
    switch (this.state) {
      case 'prelogin':
        if (m.type !== PacketType.PreLogin) throw new ProtocolError(`expected PRELOGIN, got message type ${m.type}`);
        return this.preLogin(m.payload);
      case 'login':
        if (m.type !== PacketType.Login7) throw new ProtocolError(`expected LOGIN7, got message type ${m.type}`);
        return this.login(m.payload);
      case 'ready':
        if (m.resetConnection) this.resetAck = { database: this.session!.reset() };
        if (m.type === PacketType.SqlBatch) return this.batch(m.payload);
        if (m.type === PacketType.Rpc) return this.rpc(m.payload);
        if (m.type === PacketType.TransactionManager) return this.transactionManager(m.payload);
        if (m.type === PacketType.BulkLoad) return this.errorOnly(sqlErrors.unsupported('bulk load'));
        throw new ProtocolError(`unexpected message type ${m.type} after login`);
      default:
        return;
    }
  }

  private preLogin(payload: Buffer): void {
    const req = parsePreLogin(payload);
    const strict = this.tunnel !== null;
    const answer = strict ? Encrypt.NotSup : negotiateEncryption(this.config.tls, req.encryption);
    const w = buildPreLoginResponse(answer);
    for (const p of packetize(PacketType.TabularResult, w, this.packetSize, this.spid)) this.write(p);
    this.state = 'login';
    if (strict) return;
    if (answer === Encrypt.On || answer === Encrypt.Req || (answer === Encrypt.Off && this.config.tls !== 'off')) {
      this.loginOnlyTls = answer === Encrypt.Off;
      this.requireEncryption = this.config.tls === 'required';
      // the client starts the handshake with its next PRELOGIN packets, unless it gives up (NOT_SUP vs REQ)
      if (req.encryption !== Encrypt.NotSup) this.startTls(false);
    }
  }

  private sendTokens(fill: (w: Writer) => void): void {
    const res = this.response();
    fill(res.w);
    res.end();
  }

  private loginError(errors: SqlError[]): void {
    this.sendTokens((w) => {
      for (const e of errors) tok.message(w, { number: e.number, state: e.state, severity: e.severity, text: e.message }, this.config.serverName);
      tok.done(w, 0xfd, tok.Done.Error, 0, 0);
    });
    this.config.metrics.errors(errors[errors.length - 1]!.number);
    // inside TLS, the error must be flushed through it before TCP closes
    const tunnel = this.tunnel;
    if (tunnel?.active) tunnel.socket.end(() => this.socket.end());
    else this.socket.end();
    this.state = 'closed';
    clearTimeout(this.loginTimer);
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private login(payload: Buffer): void {
    const login = parseLogin7(payload);
    if (this.requireEncryption && !this.tlsDone) throw new ProtocolError('login without encryption on a server that requires it');
    if (this.loginOnlyTls && this.tunnel) {
      // ENCRYPT_OFF: only the login packet was protected; both sides continue in clear
      this.tunnel.detach();
      this.tunnel = null;
    }
    const log = this.config.log;
    if (login.integratedSecurity || login.userName === '') {
      log.info({ spid: this.spid, host: login.hostName }, 'login refused: integrated authentication');
      return this.loginError([new SqlError(18452, 'Login failed. The login is from an untrusted domain and cannot be used with Integrated authentication.', 14, 1)]);
    }
    // the simulator speaks TDS 7.4 (and 8.0 after TLS first); older dialects encode types differently
    if (login.tdsVersion !== 0x08000000 && login.tdsVersion < 0x74000004) {
      log.info({ spid: this.spid, tdsVersion: login.tdsVersion.toString(16) }, 'login refused: TDS version');
      return this.loginError([sqlErrors.unsupported(`TDS version 0x${login.tdsVersion.toString(16)}; use TDS 7.4 (e.g. FreeTDS TDSVER=7.4)`)]);
    }
    const user = this.config.users.find((u) => u.user.toLowerCase() === login.userName.toLowerCase());
    if (!user || user.password !== login.password) {
      log.info({ spid: this.spid, user: login.userName, host: login.hostName }, 'login failed');
      return this.loginError([sqlErrors.loginFailed(login.userName)]);
    }
    const dbName = login.database || user.databases?.[0] || [...this.config.databases.values()][0]?.name || 'master';
    const db = this.config.databases.get(dbName.toLowerCase());
    const allowed = !user.databases || user.databases.some((d) => d.toLowerCase() === dbName.toLowerCase());
    if (!db || !allowed) {
      log.info({ spid: this.spid, user: login.userName, database: dbName }, 'login failed: database');
      return this.loginError([sqlErrors.cannotOpenDatabase(dbName, login.userName), sqlErrors.loginFailed(login.userName)]);
    }
    clearTimeout(this.loginTimer);
    this.user = login.userName;
    this.session = new Session(db, this.config.databases, { spid: this.spid, userName: login.userName, appName: login.appName, hostName: login.hostName, serverName: this.config.serverName });
    const requested = login.packetSize === 0 ? INITIAL_PACKET_SIZE : login.packetSize;
    const packetSize = Math.min(32767, Math.max(512, requested));
    this.sendTokens((w) => {
      tok.envDatabase(w, db.name, 'master');
      tok.message(w, { number: 5701, state: 2, severity: 0, text: `Changed database context to '${db.name}'.` }, this.config.serverName);
      tok.envCollation(w);
      tok.envLanguage(w, 'us_english');
      tok.message(w, { number: 5703, state: 1, severity: 0, text: 'Changed language setting to us_english.' }, this.config.serverName);
      tok.loginAck(w, 'Microsoft SQL Server');
      tok.envPacketSize(w, packetSize, this.packetSize);
      tok.done(w, 0xfd, tok.Done.Final, 0, 0);
    });
    this.packetSize = packetSize;
    this.state = 'ready';
    log.info({ spid: this.spid, user: login.userName, database: db.name, app: login.appName, encryption: this.encryption }, 'login');
  }

  /** the descriptor of the open transaction (tedious sends it back in ALL_HEADERS) */
  private descriptor(): Buffer {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(this.spid, 4);
    b.writeUInt32LE(this.transactions, 0);
    return b;
  }

  /** ENVCHANGE when the outermost transaction begins or ends */
  private transactionChange(w: Writer, op: 'begin' | 'commit' | 'rollback', before: number): void {
    const after = this.session!.tranCount;
    if (op === 'begin' && before === 0 && after === 1) {
      this.transactions++;
      tok.envTransaction(w, 'begin', this.descriptor());
    } else if (op !== 'begin' && before > 0 && after === 0) tok.envTransaction(w, op, this.descriptor());
  }

  /** Transaction manager request (MS-TDS 2.2.6.9): what mssql's Transaction sends */
  private transactionManager(payload: Buffer): void {
    const r = new Reader(payload);
    const total = r.u32();
    if (total < 4 || total - 4 > r.remaining) throw new ProtocolError('ALL_HEADERS length outside the message');
    r.pos += total - 4;
    const type = r.u16();
    const ops: Record<number, 'begin' | 'commit' | 'rollback'> = { 5: 'begin', 7: 'commit', 8: 'rollback' };
    const op = ops[type];
    if (!op) return this.errorOnly(sqlErrors.unsupported(`transaction manager request ${type} (savepoints, distributed transactions)`));
    const session = this.session!;
    const before = session.tranCount;
    try {
      if (op === 'begin') session.begin();
      else if (op === 'commit') session.commit();
      else session.rollback();
    } catch (e) {
      if (e instanceof SqlError) return this.errorOnly(e);
      throw e;
    }
    this.sendTokens((w) => {
      this.transactionChange(w, op, before);
      tok.done(w, 0xfd, 0, 0, 0);
    });
  }

  private onAttention(): void {
    if (this.state !== 'ready') return;
    if (this.running) {
      this.running.attention = true;
      this.running.abort.abort();
      return;
    }
    // the request was answered already (or never started): acknowledge on its own
    const dropped = this.queue.splice(0).length;
    this.config.log.debug({ spid: this.spid, dropped }, 'attention');
    this.sendTokens((w) => tok.done(w, 0xfd, tok.Done.Attention, 0, 0));
  }

  private errorOnly(e: SqlError): void {
    this.sendTokens((w) => {
      tok.message(w, { number: e.number, state: e.state, severity: e.severity, text: e.message }, this.config.serverName);
      tok.done(w, 0xfd, tok.Done.Error, 0, 0);
    });
  }

  private async batch(payload: Buffer): Promise<void> {
    this.config.metrics.requests('batch');
    const sql = parseSqlBatch(payload);
    await this.execute(sql, new Map(), null);
  }

  private async rpc(payload: Buffer): Promise<void> {
    this.config.metrics.requests('rpc');
    let req: RpcRequest;
    try {
      req = parseRpc(payload);
    } catch (e) {
      if (e instanceof SqlError) return this.errorOnly(e);
      throw e;
    }
    const name = typeof req.proc === 'number' ? req.proc : req.proc.toLowerCase().replace(/^(\[?sys\]?\.|\[?dbo\]?\.|master\.\.)/, '');
    const bind = (params: RpcRequest['params'], names: string[], firstOrdinal: number) => {
      const vars = new Map<string, Variable>();
      const outputs: Output[] = [];
      params.forEach((p, i) => {
        const pname = p.name || names[i] || `@${i}`;
        const variable: Variable = { type: p.type.type ?? { kind: 'int' }, value: p.value };
        vars.set(pname.toLowerCase(), variable);
        if (p.output) outputs.push({ ordinal: firstOrdinal + i, name: pname.startsWith('@') ? pname : '@' + pname, variable });
      });
      const missing = names.find((n) => !vars.has(n.toLowerCase()));
      return { vars, outputs, missing };
    };
    if (name === ProcId.ExecuteSql || name === 'sp_executesql') {
      const [stmt, decl, ...rest] = req.params;
      if (!stmt || typeof stmt.value !== 'string') return this.errorOnly(new SqlError(214, "Procedure expects parameter '@statement' of type 'ntext/nchar/nvarchar'.", 16, 2));
      const names = typeof decl?.value === 'string' ? declaredNames(decl.value) : [];
      const { vars, outputs, missing } = bind(rest, names, 2);
      if (missing) return this.errorOnly(new SqlError(8178, `The parameterized query '(${String(decl?.value ?? '').slice(0, 80)})${stmt.value.slice(0, 80)}' expects the parameter '${missing}', which was not supplied.`, 16, 1));
      return this.execute(stmt.value, vars, outputs);
    }
    if (name === ProcId.Prepare || name === 'sp_prepare') {
      // sp_prepare @handle OUTPUT, @params, @stmt [, @options]
      const [, decl, stmt] = req.params;
      if (!stmt || typeof stmt.value !== 'string') return this.errorOnly(new SqlError(214, "Procedure expects parameter '@stmt' of type 'ntext/nchar/nvarchar'.", 16, 2));
      const sql = stmt.value;
      const handle = this.nextHandle++;
      this.prepared.set(handle, { sql, names: typeof decl?.value === 'string' ? declaredNames(decl.value) : [] });
      const variable: Variable = { type: { kind: 'int' }, value: handle };
      // syntax errors surface at prepare time, as on SQL Server
      return this.execute(null, new Map(), [{ ordinal: 0, name: '@handle', variable }], undefined, sql);
    }
    if (name === ProcId.Execute || name === 'sp_execute') {
      const [h, ...rest] = req.params;
      const stmt = typeof h?.value === 'number' ? this.prepared.get(h.value) : undefined;
      if (!stmt) return this.errorOnly(new SqlError(8179, `Could not find prepared statement with handle ${String(h?.value ?? 'NULL')}.`, 16, 1));
      const { vars, outputs, missing } = bind(rest, stmt.names, 1);
      if (missing) return this.errorOnly(new SqlError(8178, `The parameterized query expects the parameter '${missing}', which was not supplied.`, 16, 1));
      return this.execute(stmt.sql, vars, outputs);
    }
    if (name === ProcId.Unprepare || name === 'sp_unprepare') {
      const h = req.params[0]?.value;
      if (typeof h === 'number') this.prepared.delete(h);
      return this.execute(null, new Map(), []);
    }
    const label = typeof req.proc === 'number' ? `procedure id ${req.proc}` : req.proc;
    return this.execute(null, new Map(), [], typeof req.proc === 'number' ? sqlErrors.unsupported(`RPC ${label}`) : sqlErrors.unknownProcedure(req.proc));
  }

  /**
   * Runs SQL and streams the tokens. `outputs` marks an RPC: statement DONEs become DONEINPROC and
   * the reply ends with RETURNSTATUS, the OUTPUT parameters' values and DONEPROC, as SQL Server
   * answers a procedure call. `checkOnly` is parsed for errors but not run (sp_prepare).
   */
  private async execute(sql: string | null, vars: Map<string, Variable>, outputs: Output[] | null, preError?: SqlError, checkOnly?: string): Promise<void> {
    const proc = outputs !== null;
    const session = this.session!;
    const res = this.response();
    const running = { abort: new AbortController(), attention: false };
    this.running = running;
    const stmtDone = proc ? 0xff : 0xfd;
    let pending: { status: number; curCmd: number; rows: number } | null = null;
    let failed: SqlError | null = preError ?? null;
    if (checkOnly !== undefined && !failed) {
      try {
        parseBatch(checkOnly);
      } catch (e) {
        if (e instanceof SqlError) failed = e;
        else throw e;
      }
    }
    const serverName = this.config.serverName;
    let tranBefore = session.tranCount;
    try {
      if (sql !== null && !failed) {
        for await (const o of session.run(sql, vars, running.abort.signal)) {
          if (running.attention) break;
          if (pending) tok.done(res.w, stmtDone, pending.status | tok.Done.More, pending.curCmd, pending.rows);
          if (o.error) {
            this.config.metrics.errors(o.error.number);
            tok.message(res.w, { number: o.error.number, state: o.error.state, severity: o.error.severity, text: o.error.message, line: o.line }, serverName);
            pending = { status: tok.Done.Error, curCmd: o.curCmd, rows: 0 };
            continue;
          }
          if (o.database) tok.envDatabase(res.w, o.database.name, o.database.old);
          if (o.transaction) this.transactionChange(res.w, o.transaction, tranBefore);
          tranBefore = session.tranCount;
          if (o.result) {
            tok.colMetadata(res.w, o.result.columns);
            for (const row of o.result.rows) {
              tok.row(res.w, o.result.columns, row);
              res.flush();
            }
          }
          const counted = o.rowCount !== undefined && !session.nocount;
          pending = { status: counted ? tok.Done.Count : 0, curCmd: o.curCmd, rows: counted ? o.rowCount! : 0 };
        }
      }
    } catch (e) {
      if (!(e instanceof SqlError)) {
        this.config.log.error({ spid: this.spid, err: e instanceof Error ? e.stack : String(e) }, 'internal error while executing');
        failed = new SqlError(50000, `Internal error of the simulator: ${e instanceof Error ? e.message : String(e)}`, 16, 1);
      } else failed = e;
    } finally {
      this.running = null;
    }
    if (this.state === 'closed') return;
    const w = res.w;
    if (running.attention) {
      // the cancelled request's response ends, then the acknowledgement follows as a message of
      // its own (tedious discards the rest of the current message and reads the next one for it)
      if (pending) tok.done(w, stmtDone, pending.status, pending.curCmd, pending.rows);
      else tok.done(w, 0xfd, 0, 0, 0);
      res.end();
      this.sendTokens((w) => tok.done(w, 0xfd, tok.Done.Attention, 0, 0));
      return;
    }
    if (failed) {
      this.config.metrics.errors(failed.number);
      if (pending) tok.done(w, stmtDone, pending.status | tok.Done.More, pending.curCmd, pending.rows);
      const line = (failed as SqlError & { line?: number }).line ?? 1;
      tok.message(w, { number: failed.number, state: failed.state, severity: failed.severity, text: failed.message, line }, serverName);
      if (proc) {
        tok.done(w, 0xff, tok.Done.Error | tok.Done.More, 0, 0);
        tok.returnStatus(w, -6);
        tok.done(w, 0xfe, tok.Done.Error, 0, 0);
      } else tok.done(w, 0xfd, tok.Done.Error, 0, 0);
      res.end();
      return;
    }
    if (proc) {
      if (pending) tok.done(w, 0xff, pending.status | tok.Done.More, pending.curCmd, pending.rows);
      tok.returnStatus(w, 0);
      for (const o of outputs) tok.returnValue(w, o.ordinal, o.name, o.variable.type, o.variable.value);
      tok.done(w, 0xfe, 0, 0, 0);
    } else if (pending) tok.done(w, 0xfd, pending.status, pending.curCmd, pending.rows);
    else tok.done(w, 0xfd, 0, 0, 0);
    res.end();
  }
}
