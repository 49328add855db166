import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { reportSummary } from '@plant-twin/contracts';
import { writeReportFiles } from './report/write.js';
import { runHil } from './run.js';
import { hilSuites } from './suites/index.js';
import { siteTarget, startSimTarget, type Target } from './target.js';

const help = `npm run hil -- --target sim|<site.yaml> [options]

  --target sim          start the simulated plant and test it (FAT); fault drills run only here
  --target <site.yaml>  test the real machines of a site file (SAT); read-only unless --allow-writes
  --suite <names>       comma-separated: ${hilSuites.map((s) => s.name).join(', ')} (default: all)
  --machines <ids>      comma-separated machine ids (default: all)
  --soak <duration>     run the soak suite for e.g. 30s, 5m, 8h (default: no soak)
  --latency <duration>  how long the latency suite polls each machine (default 30s: p99 then rests on ~300 polls of an S7)
  --junit <file>        write JUnit XML (Jenkins, GitLab)
  --html <file>         write the printable HTML report (self-contained)
  --json <file>         write the report as JSON (plant-twin/acceptance-report@1)
  --allow-writes        let the job handshake dry run write to the test mailbox / database / inbox on a site
  --plant <file>        the plant model to check (default plant/plant.yaml)
  --operator <name>     who runs it (default $HIL_OPERATOR or the user name)
  --seed <n> --speed <x> --port-offset <n>   the simulated plant (default 1, 60, 17000)
Exit code 0 when nothing failed, 1 when a check failed, 2 on bad arguments.`;

function duration(s: string | undefined, name: string): number | undefined {
  if (s === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|min|h)?$/.exec(s.trim());
  if (!m) throw new Error(`${name}: "${s}" is not a duration (e.g. 30s, 5m, 2h)`);
  const unit = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms'];
  return Number(m[1]) * unit;
}

const list = (s: string | undefined) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined);

async function main(): Promise<number> {
  let a;
  try {
    a = parseArgs({
      options: {
        target: { type: 'string' }, suite: { type: 'string' }, machines: { type: 'string' }, soak: { type: 'string' }, latency: { type: 'string' },
        junit: { type: 'string' }, html: { type: 'string' }, json: { type: 'string' }, 'allow-writes': { type: 'boolean', default: false },
        plant: { type: 'string' }, operator: { type: 'string' }, seed: { type: 'string', default: '1' }, speed: { type: 'string', default: '60' },
        'port-offset': { type: 'string', default: '17000' }, help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${help}`);
    return 2;
  }
  if (a.help) {
    console.log(help);
    return 0;
  }
  if (!a.target) {
    console.error(`--target is required\n\n${help}`);
    return 2;
  }
  let soakMs, latencyMs;
  try {
    soakMs = duration(a.soak, '--soak');
    latencyMs = duration(a.latency, '--latency');
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const say = (line: string) => console.log(line);
  let target: Target;
  try {
    if (a.target === 'sim') {
      say(`starting the simulated plant (seed ${a.seed}, speed ${a.speed}, ports +${a['port-offset']}) ...`);
      target = await startSimTarget({ seed: Number(a.seed), speed: Number(a.speed), portOffset: Number(a['port-offset']), ...(a.plant ? { checkPlantFile: a.plant } : {}) });
    } else target = siteTarget(resolve(a.target), ...(a.plant ? [resolve(a.plant)] : []));
  } catch (e) {
    console.error(`hil: ${(e as Error).message}`);
    return 2;
  }
  let failed = 0;
  try {
    say(`HIL against ${target.simulated ? 'the simulated plant' : `site ${target.name}`}: ${target.plant.machines.length} machines`);
    const report = await runHil({
      target,
      ...(list(a.suite) ? { suites: list(a.suite) } : {}),
      ...(list(a.machines) ? { machines: list(a.machines) } : {}),
      allowWrites: a['allow-writes'],
      ...(latencyMs !== undefined ? { latencyMs } : {}),
      ...(soakMs !== undefined ? { soakMs } : {}),
      ...(a.operator ? { operator: a.operator } : {}),
      command: `npm run hil -- ${process.argv.slice(2).join(' ')}`,
      progress: say,
    });
    writeReportFiles(report, { ...(a.junit ? { junit: a.junit } : {}), ...(a.html ? { html: a.html } : {}), ...(a.json ? { json: a.json } : {}) }, say);
    const s = reportSummary(report);
    failed = s.failed;
    for (const suite of report.suites) for (const c of suite.cases.filter((x) => x.status === 'failed')) say(`FAILED ${suite.name} ${c.unit} ${c.name}: ${c.message ?? ''}${c.fix ? ` -> fix: ${c.fix}` : ''}`.slice(0, 400));
    say(`${s.passed} passed, ${s.failed} failed${s.skipped ? `, ${s.skipped} skipped` : ''}`);
  } catch (e) {
    console.error(`hil: ${(e as Error).stack ?? e}`);
    failed = 1;
  } finally {
    await target.close();
  }
  return failed ? 1 : 0;
}

process.exit(await main());
