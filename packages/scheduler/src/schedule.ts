import { mergeSequence, type Instance } from './instance.js';

/** The result of evaluating one machine's candidate sequence. */
export interface MachineEval {
  /** weighted tardiness and changeover part of the score, weighted */
  cost: number;
  /** wall completion of the machine's last job (0 when it has none) */
  comp: number;
  /** working-time completion (the tie-breaker) */
  work: number;
}

/**
 * A solution (a sequence of free jobs per machine) with what its incremental evaluation needs: per machine
 * and position the working time at which the job ends and the cost so far. A candidate change is a patch
 * (positions [a, a + skip) of the free list replaced by other jobs); evaluating it walks from a and stops as
 * soon as the machine's state (time, last setup class) meets the old one again, so a move costs the length
 * of what it changes. Without tardiness, calendars or releases every machine is additive: O(patch) per move.
 */
export class Schedule {
  readonly free: number[][];
  readonly full: number[][];
  readonly end: Float64Array[];
  readonly pre: Float64Array[];
  readonly cost: Float64Array;
  readonly comp: Float64Array;
  readonly work: Float64Array;
  /** machine of each job, -1 while unassigned */
  readonly machineOf: Int32Array;
  /** release and due date on each machine's working-time axis, at [j * m + k] */
  readonly relW: Float64Array;
  readonly dueW: Float64Array;
  private readonly additive: boolean;
  /** per machine, working time of the instance's freeFrom; and which jobs are in a head (exempt from it) */
  private readonly floorW: Float64Array;
  private readonly inHead: Uint8Array;
  readonly out: MachineEval = { cost: 0, comp: 0, work: 0 };

  constructor(readonly inst: Instance) {
    const { n, m } = inst;
    this.free = Array.from({ length: m }, () => []);
    this.full = inst.head.map((h) => [...h]);
    this.end = Array.from({ length: m }, () => new Float64Array(n + 1));
    this.pre = Array.from({ length: m }, () => new Float64Array(n + 1));
    this.cost = new Float64Array(m);
    this.comp = new Float64Array(m);
    this.work = new Float64Array(m);
    this.machineOf = new Int32Array(n).fill(-1);
    this.relW = new Float64Array(n * m);
    this.dueW = new Float64Array(n * m);
    let anyRelease = false;
    for (let j = 0; j < n; j++) {
      if (inst.release[j]! > 0) anyRelease = true;
      for (const k of inst.eligible[j]!) {
        const cal = inst.calendars[k];
        this.relW[j * m + k] = cal ? cal.work(Math.max(0, inst.release[j]!)) : inst.release[j]!;
        this.dueW[j * m + k] = cal ? cal.work(inst.due[j]!) : inst.due[j]!;
      }
    }
    this.floorW = new Float64Array(m);
    this.inHead = new Uint8Array(n);
    for (const h of inst.head) for (const j of h) this.inHead[j] = 1;
    for (let k = 0; k < m; k++) {
      const cal = inst.calendars[k];
      this.floorW[k] = inst.freeFrom > 0 ? (cal ? cal.work(inst.freeFrom) : inst.freeFrom) : 0;
    }
    this.additive = inst.cost.tardiness === 0 && !anyRelease && inst.freeFrom <= 0 && inst.calendars.every((c) => c === null);
    for (let k = 0; k < m; k++) {
      for (const j of inst.head[k]!) this.machineOf[j] = k;
      for (const l of inst.locks[k]!) this.machineOf[l.job] = k;
      this.rebuild(k);
    }
  }

  /** the score: weighted tardiness + changeovers (weighted) + makespan (weighted) */
  total(): number {
    let s = 0;
    let c = 0;
    for (let k = 0; k < this.inst.m; k++) {
      s += this.cost[k]!;
      if (this.comp[k]! > c) c = this.comp[k]!;
    }
    return s + this.inst.cost.makespan * c;
  }

  /** the tie-breaker: total working-time completion of all machines */
  secondary(): number {
    let s = 0;
    for (let k = 0; k < this.inst.m; k++) s += this.work[k]!;
    return s;
  }

  /** largest completion among machines other than a and b */
  maxCompExcept(a: number, b: number): number {
    let c = 0;
    for (let k = 0; k < this.inst.m; k++) if (k !== a && k !== b && this.comp[k]! > c) c = this.comp[k]!;
    return c;
  }

  setFree(k: number, jobs: number[]): void {
    for (const j of this.free[k]!) if (this.machineOf[j] === k) this.machineOf[j] = -1;
    this.free[k] = jobs;
    for (const j of jobs) this.machineOf[j] = k;
    this.rebuild(k);
  }

  /** recomputes machine k's full sequence, ends and costs */
  rebuild(k: number): void {
    const inst = this.inst;
    const seq = mergeSequence(inst.head[k]!, this.free[k]!, inst.locks[k]!);
    this.full[k] = seq;
    const end = this.end[k]!;
    const pre = this.pre[k]!;
    let x = 0;
    let cost = 0;
    let pc = -1;
    for (let i = 0; i < seq.length; i++) {
      const j = seq[i]!;
      x = this.step(k, j, pc, x);
      cost += this.stepCost;
      pc = inst.cls[j]!;
      end[i] = x;
      pre[i] = cost;
    }
    this.cost[k] = cost;
    this.work[k] = x;
    this.comp[k] = seq.length === 0 ? 0 : this.wall(k, x);
  }

  private stepCost = 0;
  private stepSetup = 0;
  private stepSetupStart = 0;

  /** processes job j after class pc from working time x; returns its end, leaves its cost in stepCost */
  private step(k: number, j: number, pc: number, x: number): number {
    const inst = this.inst;
    const m = inst.m;
    const c = inst.cls[j]!;
    const s = pc < 0 ? inst.setupFirst[k]![c]! : inst.setup[k]![pc * inst.nCls + c]!;
    this.stepSetup = s;
    if (x < this.floorW[k]! && !this.inHead[j]) x = this.floorW[k]!;
    this.stepSetupStart = x;
    let t = x + s;
    const rel = this.relW[j * m + k]!;
    if (rel > t) t = rel;
    t += inst.p[j * m + k]!;
    let cost = inst.cost.setup * s;
    if (inst.cost.tardiness > 0 && t > this.dueW[j * m + k]!) {
      const late = this.wall(k, t) - inst.due[j]!;
      if (late > 0) cost += inst.cost.tardiness * inst.weight[j]! * late;
    }
    this.stepCost = cost;
    return t;
  }

  private wall(k: number, x: number): number {
    const cal = this.inst.calendars[k];
    return cal ? cal.endAt(x) : x;
  }

  /** Evaluates machine k with free positions [a, a + skip) replaced by patch[0..pl); the result is in `out`. */
  evalPatch(k: number, a: number, patch: readonly number[], pl: number, skip: number): MachineEval {
    const inst = this.inst;
    if (inst.locks[k]!.length > 0) return this.evalLocked(k, a, patch, pl, skip);
    const A = inst.head[k]!.length + a;
    if (this.additive) return this.evalAdditive(k, A, patch, pl, skip);
    const seq = this.full[k]!;
    const end = this.end[k]!;
    const pre = this.pre[k]!;
    const len = seq.length;
    const cls = inst.cls;
    let x = A > 0 ? end[A - 1]! : 0;
    let pc = A > 0 ? cls[seq[A - 1]!]! : -1;
    let cost = A > 0 ? pre[A - 1]! : 0;
    for (let i = 0; i < pl; i++) {
      const j = patch[i]!;
      x = this.step(k, j, pc, x);
      cost += this.stepCost;
      pc = cls[j]!;
    }
    const out = this.out;
    for (let i = A + skip; i < len; i++) {
      const oldX = i > 0 ? end[i - 1]! : 0;
      const oldC = i > 0 ? cls[seq[i - 1]!]! : -1;
      if (x === oldX && pc === oldC) {
        out.cost = cost + this.cost[k]! - (i > 0 ? pre[i - 1]! : 0);
        out.comp = this.comp[k]!;
        out.work = this.work[k]!;
        return out;
      }
      const j = seq[i]!;
      x = this.step(k, j, pc, x);
      cost += this.stepCost;
      pc = cls[j]!;
    }
    const newLen = len - skip + pl;
    out.cost = cost;
    out.work = newLen === 0 ? 0 : x;
    out.comp = newLen === 0 ? 0 : this.wall(k, x);
    return out;
  }

  /** additive machines: completion and setups change by the patch and its two joins only */
  private evalAdditive(k: number, A: number, patch: readonly number[], pl: number, skip: number): MachineEval {
    const inst = this.inst;
    const m = inst.m;
    const seq = this.full[k]!;
    const end = this.end[k]!;
    const len = seq.length;
    const S = inst.setup[k]!;
    const first = inst.setupFirst[k]!;
    const nc = inst.nCls;
    const cls = inst.cls;
    const cS = inst.cost.setup;
    // what the replaced stretch [A, A + skip) and the join into the next job cost now
    const B = A + skip;
    const before = A > 0 ? end[A - 1]! : 0;
    const prevC = A > 0 ? cls[seq[A - 1]!]! : -1;
    let oldWork = (B > 0 ? end[B - 1]! : 0) - before;
    let oldSetup = 0;
    if (skip > 0) {
      // setups inside the old stretch: its work minus its processing
      let proc = 0;
      for (let i = A; i < B; i++) proc += inst.p[seq[i]! * m + k]!;
      oldSetup = oldWork - proc;
    }
    if (B < len) {
      const lastC = B > 0 ? cls[seq[B - 1]!]! : -1;
      const nextC = cls[seq[B]!]!;
      const s = lastC < 0 ? first[nextC]! : S[lastC * nc + nextC]!;
      oldWork += s;
      oldSetup += s;
    }
    let newWork = 0;
    let newSetup = 0;
    let pc = prevC;
    for (let i = 0; i < pl; i++) {
      const j = patch[i]!;
      const c = cls[j]!;
      const s = pc < 0 ? first[c]! : S[pc * nc + c]!;
      newSetup += s;
      newWork += s + inst.p[j * m + k]!;
      pc = c;
    }
    if (B < len) {
      const nextC = cls[seq[B]!]!;
      const s = pc < 0 ? first[nextC]! : S[pc * nc + nextC]!;
      newWork += s;
      newSetup += s;
    }
    const out = this.out;
    const newLen = len - skip + pl;
    out.work = newLen === 0 ? 0 : this.work[k]! - oldWork + newWork;
    out.comp = out.work;
    out.cost = this.cost[k]! + cS * (newSetup - oldSetup);
    return out;
  }

  /** machines with locks: merge the candidate and evaluate from its first difference */
  private evalLocked(k: number, a: number, patch: readonly number[], pl: number, skip: number): MachineEval {
    const inst = this.inst;
    const freeOld = this.free[k]!;
    const cand: number[] = freeOld.slice(0, a);
    for (let i = 0; i < pl; i++) cand.push(patch[i]!);
    for (let i = a + skip; i < freeOld.length; i++) cand.push(freeOld[i]!);
    const seq = mergeSequence(inst.head[k]!, cand, inst.locks[k]!);
    const old = this.full[k]!;
    let A = 0;
    while (A < seq.length && A < old.length && seq[A] === old[A]) A++;
    const end = this.end[k]!;
    const pre = this.pre[k]!;
    let x = A > 0 ? end[A - 1]! : 0;
    let pc = A > 0 ? inst.cls[old[A - 1]!]! : -1;
    let cost = A > 0 ? pre[A - 1]! : 0;
    for (let i = A; i < seq.length; i++) {
      const j = seq[i]!;
      x = this.step(k, j, pc, x);
      cost += this.stepCost;
      pc = inst.cls[j]!;
    }
    const out = this.out;
    out.cost = cost;
    out.work = seq.length === 0 ? 0 : x;
    out.comp = seq.length === 0 ? 0 : this.wall(k, x);
    return out;
  }

  /** per position of machine k's full sequence: setup, working-time start of processing and end */
  timeline(k: number): { job: number; setup: number; setupStartW: number; startW: number; endW: number }[] {
    const inst = this.inst;
    const m = inst.m;
    const out: { job: number; setup: number; setupStartW: number; startW: number; endW: number }[] = [];
    let x = 0;
    let pc = -1;
    for (const j of this.full[k]!) {
      const endW = this.step(k, j, pc, x);
      const setup = this.stepSetup;
      out.push({ job: j, setup, setupStartW: this.stepSetupStart, startW: endW - inst.p[j * m + k]!, endW });
      x = endW;
      pc = inst.cls[j]!;
    }
    return out;
  }

  snapshot(): number[][] {
    return this.free.map((f) => [...f]);
  }

  restore(snap: readonly number[][]): void {
    for (let k = 0; k < this.inst.m; k++) this.setFree(k, [...snap[k]!]);
  }

  /** true when machine k's moves can use the O(1) additive deltas below */
  fast(k: number): boolean {
    return this.additive && this.inst.locks[k]!.length === 0;
  }

  private setupOf(k: number, prev: number, j: number): number {
    const inst = this.inst;
    return prev < 0 ? inst.setupFirst[k]![inst.cls[j]!]! : inst.setup[k]![inst.cls[prev]! * inst.nCls + inst.cls[j]!]!;
  }

  /** additive machines: change of setup time when the job at free position i leaves machine k */
  removeSetupDelta(k: number, i: number): number {
    const seq = this.full[k]!;
    const I = this.inst.head[k]!.length + i;
    const prev = I > 0 ? seq[I - 1]! : -1;
    const j = seq[I]!;
    if (I + 1 >= seq.length) return -this.setupOf(k, prev, j);
    const next = seq[I + 1]!;
    return this.setupOf(k, prev, next) - this.setupOf(k, prev, j) - this.setupOf(k, j, next);
  }

  /**
   * additive machines: the free position (in the list without free position `skip`, -1 for none) where job j
   * adds the least setup time, and that setup delta; left in insQ / insDelta
   */
  bestInsertion(k: number, j: number, skip: number): void {
    const inst = this.inst;
    const seq = this.full[k]!;
    const h = inst.head[k]!.length;
    const S = inst.setup[k]!;
    const first = inst.setupFirst[k]!;
    const nc = inst.nCls;
    const cls = inst.cls;
    const cj = cls[j]!;
    const rowJ = cj * nc;
    const S0 = skip >= 0 ? h + skip : -1;
    let bestQ = 0;
    let best = Infinity;
    let prevC = h > 0 ? cls[seq[h - 1]!]! : -1;
    let q = 0;
    for (let I = h; I <= seq.length; I++) {
      if (I === S0) continue;
      let d: number;
      const into = prevC < 0 ? first[cj]! : S[prevC * nc + cj]!;
      if (I < seq.length) {
        const cn = cls[seq[I]!]!;
        d = into + S[rowJ + cn]! - (prevC < 0 ? first[cn]! : S[prevC * nc + cn]!);
        if (d < best) {
          best = d;
          bestQ = q;
        }
        prevC = cn;
      } else {
        d = into;
        if (d < best) {
          best = d;
          bestQ = q;
        }
      }
      q++;
    }
    this.insQ = bestQ;
    this.insDelta = best;
  }

  insQ = 0;
  insDelta = 0;

  /** additive machines: setup delta when the job at free position i is replaced by job j2 */
  replaceSetupDelta(k: number, i: number, j2: number): number {
    const seq = this.full[k]!;
    const I = this.inst.head[k]!.length + i;
    const prev = I > 0 ? seq[I - 1]! : -1;
    const j = seq[I]!;
    let d = this.setupOf(k, prev, j2) - this.setupOf(k, prev, j);
    if (I + 1 < seq.length) {
      const next = seq[I + 1]!;
      d += this.setupOf(k, j2, next) - this.setupOf(k, j, next);
    }
    return d;
  }
}
