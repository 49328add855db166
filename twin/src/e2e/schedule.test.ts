import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { call } from '@plant-twin/cloud/testing';
import type { Command, JobDto, StoredPlan } from '@plant-twin/contracts';
import { loadPlant } from '@plant-twin/plant-model';
import { missingTool } from '@plant-twin/runtime/testing';
import { checkPlan } from '@plant-twin/scheduler';
import { startTwinCloud, type TwinCloud } from '../browser/cloud.js';
import { axeSerious, launchChromium, notBlank, screenshot } from './browser.js';

/**
 * The planner's Gantt in Debian's Chromium against the real cloud in this process (HTTPS, the built twin):
 * a plan of 40 jobs from the jobs mirror, a job dragged with the pointer to another machine, one moved with
 * the keyboard alone, a lock, the comparison with the first plan, what-if, and publication followed from
 * pending to applied by the live command events (the test answers as the edge does; the job manager's own
 * side is tested in edge/job-manager/src/schedule/published.test.ts); a viewer sees publish disabled with the
 * reason; the list at 360 px in the dark theme. Every plan the screen made is checked with the scheduler's feasibility checker.
 */
const why = missingTool('chromium');
const hour = 3_600_000;
/** the chart's geometry (schedule/draw.ts layout) at its default zoom (GanttCanvas: 40 px an hour) */
const geo = { labelW: 132, axisH: 44, rowH: 40, pxPerHour: 40 };

describe.skipIf(!!why)(`schedule Gantt in Chromium (${why ?? 'chromium present'})`, () => {
  const plant = loadPlant();
  const machineRows = plant.machines.map((m) => m.id);
  let tc: TwinCloud;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let adminToken = '';
  const api = async (method: string, path: string, body?: unknown) => call(method, `${tc.url}/api/v1${path}`, { ca: tc.ca, token: adminToken, timeoutMs: 60_000, ...(body === undefined ? {} : { body }) });
  const edge = (method: string, path: string, body?: unknown) => call(method, `${tc.url}/api/v1${path}`, { ca: tc.ca, token: tc.edge.token, headers: { 'x-edge-id': tc.edge.id }, ...(body === undefined ? {} : { body }) });
  /** the plan on screen (its id is in the URL), checked with the scheduler's checker against the plan it came from */
  const shownPlan = async (): Promise<StoredPlan> => {
    const id = new URL(page.url()).searchParams.get('plan')!;
    const r = await api('GET', `/schedule/plans/${id}?problem=1`);
    const parent = r.body.plan.parentId ? ((await api('GET', `/schedule/plans/${r.body.plan.parentId}`)).body.plan as StoredPlan) : null;
    expect(checkPlan(r.body.problem, r.body.plan.plan, parent ? { previous: parent.plan } : {})).toEqual([]);
    return r.body.plan as StoredPlan;
  };
  const planChange = async (before: string) => {
    await page.waitForURL((u) => u.searchParams.get('plan') !== before, { timeout: 30_000 });
    await page.locator('[data-action="optimise"]:not([disabled])').waitFor({ timeout: 30_000 });
    return shownPlan();
  };
  const sequences = (p: StoredPlan) => Object.fromEntries(p.plan.machines.map((m) => [m.machineId, m.jobs.map((j) => j.jobId)]));
  /** a point of the chart on screen: a machine's row at an instant, from the chart's geometry */
  const chartPoint = async (p: StoredPlan, machineId: string, at: number) => {
    const box = (await page.getByTestId('gantt').boundingBox())!;
    const scroll = await page.locator('.scroller').evaluate((el) => ({ left: el.scrollLeft, top: el.scrollTop }));
    const x = geo.labelW + ((at - p.plan.start) / hour) * geo.pxPerHour - scroll.left;
    return { x: box.x + x, y: box.y + geo.axisH + machineRows.indexOf(machineId) * geo.rowH + geo.rowH / 2 - scroll.top };
  };
  /** inside a job's bar: its run's first hour */
  const barPoint = (p: StoredPlan, jobId: string) => {
    const j = p.plan.machines.flatMap((m) => m.jobs).find((x) => x.jobId === jobId)!;
    return chartPoint(p, j.machineId, j.start + Math.min(j.end - j.start, 2 * hour) / 2);
  };
  const look = async (name: string, target = page) => {
    const shot = await screenshot(browser, target, name);
    expect(notBlank(shot), `${name}.png looks blank`).toBe(true);
  };

  beforeAll(async () => {
    tc = await startTwinCloud(plant, { liveIntervalMs: 200 });
    adminToken = (await call('POST', `${tc.url}/api/v1/auth/login`, { ca: tc.ca, body: { username: 'admin', password: tc.adminPassword } })).body.token;
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const kinds = [
      ['BRK-4411', ['PRS-01', 'PRS-02'], 4000],
      ['RNF-2201', ['PRS-01', 'PRS-02'], 2000],
      ['CLP-1001', ['IMM-01', 'IMM-02'], 500],
      ['HSG-3001', ['IMM-01', 'IMM-02'], 300],
      ['HUB-7001', ['CNC-01', 'CNC-02'], 60],
      ['KNC-7101', ['CNC-01', 'CNC-02'], 40],
      ['SFR-5501', ['WLD-01'], 80],
      ['SFR-5501', ['PNT-01'], 300],
    ] as const;
    const jobs: JobDto[] = Array.from({ length: 40 }, (_, i) => {
      const [partNumber, eligible, quantity] = kinds[i % kinds.length]!;
      return {
        id: `J-${String(i + 1).padStart(3, '0')}`, orderId: `O-${i + 1}`, operation: '0010', orderVersion: 1, partNumber, workCenter: 'x', quantity, dispatchedQuantity: null,
        dueDate: iso(now + (3 + ((i * 11) % 30)) * hour), priority: 1 + (i % 9), eligibleMachines: [...eligible], status: i === 0 ? 'running' : 'released', machineId: i === 0 ? 'PRS-01' : null,
        good: 0, scrap: 0, cancelRequested: false, dispatchAttempts: 0, startedAt: null, endedAt: null, message: null, createdAt: iso(now - hour), updatedAt: iso(now - hour),
      };
    });
    expect((await edge('POST', '/edge/jobs', { edgeId: tc.edge.id, jobs, events: [], queues: { 'PRS-01': [], 'PRS-02': [] } })).status).toBe(200);
    expect((await api('POST', '/schedule/plans', { label: 'morning', seed: 1, maxTicks: 2000 })).status).toBe(201);
    browser = await launchChromium();
    context = await tc.context(browser, { width: 1400, height: 900 });
    page = await context.newPage();
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await tc?.close();
  });

  it('shows the plan: machines over plant time, jobs by due-date status, changeovers and breaks; no serious axe finding', async () => {
    await page.goto('/schedule');
    await page.getByTestId('gantt').waitFor();
    await page.waitForURL((u) => u.searchParams.has('plan'));
    const plan = await shownPlan();
    expect(plan.label).toBe('morning');
    await expect.poll(() => page.getByTestId('plan-score').locator('[data-part="lateJobs"]').textContent()).toBe(String(plan.plan.score.lateJobs));
    await page.waitForTimeout(300);
    await look('schedule-gantt');
    expect(await axeSerious(page)).toEqual([]);
  });

  it('drags a job to another machine: the plan is repaired around it and the job locked there', async () => {
    const before = await shownPlan();
    const mover = sequences(before)['PRS-01']![1]!; // the first after the running job
    const from = await barPoint(before, mover);
    // the head of PRS-02: left of the middle of its first job, or its start when it has none
    const target = await chartPoint(before, 'PRS-02', before.plan.start + 5 * 60_000);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(from.x + 10, from.y + 10, { steps: 3 });
    await page.mouse.move(target.x, target.y, { steps: 8 });
    await look('schedule-drag');
    await page.mouse.up();
    const after = await planChange(before.id);
    expect(after.operation).toMatchObject({ kind: 'move', jobId: mover, machineId: 'PRS-02', position: 0 });
    expect(sequences(after)['PRS-02']![0]).toBe(mover);
    expect(after.locks).toContainEqual({ jobId: mover, machineId: 'PRS-02', position: 0 });
    await page.waitForTimeout(300);
    await look('schedule-dragged');
  });

  it('moves a job with the keyboard alone and locks another with L', async () => {
    const before = await shownPlan();
    const cnc = sequences(before)['CNC-01']!;
    expect(cnc.length).toBeGreaterThan(2);
    await page.getByTestId('gantt').focus();
    // with the keys only: to the top row, down to CNC-01, to its first job
    const announced = async () => (await page.getByTestId('gantt-announce').textContent()) ?? '';
    for (let i = 0; i < machineRows.length; i++) await page.keyboard.press('ArrowUp');
    for (let i = 0; i < machineRows.length && !(await announced()).includes(' on CNC-01,'); i++) await page.keyboard.press('ArrowDown');
    for (let i = 0; i < 30; i++) await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.getByTestId('gantt-announce').textContent()).toContain(`${cnc[0]} (`);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('gantt').getAttribute('data-picked')).toBe(cnc[0]);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.getByTestId('gantt-announce').textContent()).toContain('CNC-01, place 3');
    await page.keyboard.press('Enter');
    const after = await planChange(before.id);
    expect(sequences(after)['CNC-01']!.indexOf(cnc[0]!)).toBe(2);

    await page.getByTestId('gantt').focus();
    await page.keyboard.press('ArrowLeft');
    const focused = (await page.getByTestId('gantt-announce').textContent())!.split(' ')[0]!;
    await page.keyboard.press('l');
    const locked = await planChange(after.id);
    expect(locked.locks.map((l) => l.jobId)).toContain(focused);
    expect(locked.plan.machines.flatMap((m) => m.jobs).find((j) => j.jobId === focused)!.locked).toBe(true);
  });

  it('re-optimises around the locks and compares with the first plan (scores side by side, moved jobs marked)', async () => {
    const before = await shownPlan();
    await page.locator('[data-action="optimise"]').click();
    const opt = await planChange(before.id);
    for (const l of before.locks) expect(opt.plan.machines.find((m) => m.machineId === l.machineId)!.jobs.find((j) => j.jobId === l.jobId)).toBeDefined();
    const first = (await api('GET', '/schedule/plans')).body.plans.find((p: StoredPlan) => p.operation.kind === 'create');
    await page.getByLabel('Compare with').selectOption(first.id);
    await page.getByTestId('compare-moved').waitFor();
    await expect.poll(() => page.getByTestId('plan-score').locator('th', { hasText: 'Compared plan' }).count()).toBe(1);
    const movedText = await page.getByTestId('compare-moved').textContent();
    expect(movedText).toContain(before.locks[0]!.jobId);
    await page.locator('[data-action="whatif"]').click();
    await page.getByTestId('whatif').waitFor({ timeout: 60_000 });
    // the simulated figures beside the scores: this plan's (the compared one has no what-if: none)
    await expect.poll(() => page.getByTestId('plan-score').locator('tr.sim').count()).toBe(3);
    await page.waitForTimeout(300);
    await look('schedule-compare');
    await page.getByTestId('whatif').scrollIntoViewIfNeeded();
    await look('schedule-whatif');
  });

  it('publishes: pending, then applied from the live command event; the audit has it', async () => {
    const plan = await shownPlan();
    await page.locator('[data-action="publish"]').click();
    await expect.poll(() => page.getByTestId('publication').getAttribute('data-status')).toBe('pending');
    const fetched = await edge('GET', '/edge/commands?after=0&waitS=0');
    const command = (fetched.body.commands as Command[]).find((c) => c.type === 'schedule.publish' && c.target === plan.id)!;
    expect(command.args).toMatchObject({ planId: plan.id, machines: { 'PRS-02': sequences(plan)['PRS-02'] } });
    await expect.poll(() => page.getByTestId('publication').getAttribute('data-status')).toBe('delivered');
    expect((await edge('POST', `/edge/commands/${command.id}/result`, { status: 'applied', before: null, after: { planId: plan.id }, at: Date.now() })).status).toBe(200);
    await expect.poll(() => page.getByTestId('publication').getAttribute('data-status'), { timeout: 10_000 }).toBe('applied');
    await look('schedule-published');
    const audit = await api('GET', '/audit?action=schedule.publish');
    expect(audit.body[0]).toMatchObject({ username: 'admin', target: plan.id });
  });

  it('a viewer reads the plan but may not publish (disabled, the reason written); at 360 px it is a list', async () => {
    const r = await api('POST', '/users', { username: 'vera', role: 'viewer' });
    const viewer = await browser.newContext({ baseURL: tc.url, ignoreHTTPSErrors: true, viewport: { width: 360, height: 740 }, colorScheme: 'dark', timezoneId: 'America/Los_Angeles' });
    try {
      expect((await viewer.request.post('/api/v1/auth/login', { data: { username: 'vera', password: r.body.password, session: 'cookie' } })).ok()).toBe(true);
      const v = await viewer.newPage();
      await v.goto(page.url());
      await v.locator('[data-action="publish"]').waitFor();
      expect(await v.locator('[data-action="publish"]').isDisabled()).toBe(true);
      await expect.poll(() => v.locator('#schedule-publish-why').textContent()).toContain('Needs role planner, admin');
      await v.locator('li.job[data-job]').first().scrollIntoViewIfNeeded();
      expect(await v.getByTestId('gantt').count()).toBe(0);
      await look('schedule-list-360-viewer-dark', v);
    } finally {
      await viewer.close();
    }
  });
});
