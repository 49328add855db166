import { fork, type ChildProcess } from 'node:child_process';

/**
 * Benchmark children talk JSON lines on stdout: the first line says "ready" (with whatever the
 * parent needs, e.g. ports), the last line is the result. Children exit on SIGTERM or when the
 * parent's stdin closes, so a crashed benchmark leaves nothing running.
 */
export interface Child<R, T> {
  proc: ChildProcess;
  ready: Promise<R>;
  result: Promise<T>;
  stop(): Promise<void>;
}

export function startChild<R = unknown, T = unknown>(script: URL, arg: unknown, execArgv: string[] = []): Child<R, T> {
  const proc = fork(script, [JSON.stringify(arg)], { stdio: ['pipe', 'pipe', 'inherit', 'ipc'], execArgv });
  const lines: unknown[] = [];
  let buf = '';
  let onLine: ((v: unknown) => void) | undefined;
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (!line.startsWith('{')) continue;
      const v = JSON.parse(line) as unknown;
      lines.push(v);
      onLine?.(v);
    }
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const ready = new Promise<R>((resolve, reject) => {
    onLine = (v) => {
      onLine = undefined;
      resolve(v as R);
    };
    void exited.then((code) => reject(new Error(`${script.pathname} exited (${code}) before it was ready`)));
  });
  const result = exited.then((code) => {
    const last = lines[lines.length - 1];
    if (lines.length < 2 && code !== 0) throw new Error(`${script.pathname} exited with ${code} and no result`);
    return last as T;
  });
  // only a caller that awaits the result hears of a child that died without one: a snap7 server
  // child that crashes while it is stopped (seen under overload) must not end the whole benchmark
  result.catch(() => undefined);
  return {
    proc,
    ready,
    result,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** For the child side: the argument, a way to print JSON lines, and exit when the parent goes. */
export function childSide<A>(): { arg: A; send: (v: unknown) => void } {
  const arg = JSON.parse(process.argv[2] ?? '{}') as A;
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  process.on('SIGTERM', () => process.exit(0));
  return { arg, send: (v) => process.stdout.write(`${JSON.stringify(v)}\n`) };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
