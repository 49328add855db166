import type { JobStatus } from '@plant-twin/contracts';

/**
 * The jobs list's filters, kept in the page's URL (?status=running,held&machine=PRS-01&part=&q=&page=2)
 * so a filtered list has its own link and survives back and reload. Whatever the URL holds is read
 * leniently: an unknown status or a bad page number is dropped, never an error page.
 */
export interface JobsFilter {
  status: JobStatus[];
  machine: string | null;
  part: string | null;
  q: string | null;
  /** 0-based page of `pageSize` jobs */
  page: number;
}

export const pageSize = 50;

// every status exactly once (a Record, so a status added to the contract fails to compile here)
const statusOrder: Record<JobStatus, number> = { planned: 0, released: 1, dispatched: 2, running: 3, held: 4, completed: 5, cancelled: 6, failed: 7 };
/** Job statuses in lifecycle order (the contract's values: only types cross into the browser). */
export const jobStatuses = (Object.keys(statusOrder) as JobStatus[]).sort((a, b) => statusOrder[a] - statusOrder[b]);
export const emptyJobsFilter: JobsFilter = { status: [], machine: null, part: null, q: null, page: 0 };

const text = (v: string | null, max: number) => {
  const s = v?.trim() ?? '';
  return s ? s.slice(0, max) : null;
};

export function jobsFilterFromQuery(p: URLSearchParams, machineIds: readonly string[]): JobsFilter {
  const status = (p.get('status') ?? '').split(',').filter((s): s is JobStatus => (jobStatuses as readonly string[]).includes(s));
  const machine = p.get('machine');
  const page = Number(p.get('page'));
  return {
    status: [...new Set(status)],
    machine: machine && machineIds.includes(machine) ? machine : null,
    part: text(p.get('part'), 24),
    q: text(p.get('q'), 64),
    page: Number.isInteger(page) && page > 0 && page <= 2000 ? page : 0,
  };
}

/** The URL's query of a filter: null removes a parameter, so the plain list is plain /jobs. */
export function jobsFilterToQuery(f: JobsFilter): Record<string, string | null> {
  return {
    status: f.status.length ? f.status.join(',') : null,
    machine: f.machine,
    part: f.part,
    q: f.q,
    page: f.page > 0 ? String(f.page) : null,
  };
}

/** GET /jobs's query (contracts jobsQuerySchema) as the twin sends it. */
export interface JobsApiQuery {
  status?: string;
  machine?: string;
  part?: string;
  q?: string;
  limit: number;
  offset: number;
}

/** The GET /jobs query for a filter. */
export function jobsApiQuery(f: JobsFilter): JobsApiQuery {
  return {
    ...(f.status.length ? { status: f.status.join(',') } : {}),
    ...(f.machine ? { machine: f.machine } : {}),
    ...(f.part ? { part: f.part } : {}),
    ...(f.q ? { q: f.q } : {}),
    limit: pageSize,
    offset: f.page * pageSize,
  };
}
