export { runHil, softwareVersion, type HilRunOptions } from './run.js';
export { startSimTarget, siteTarget, sha256File, type Target } from './target.js';
export { hilSuites, type Suite, type SuiteContext } from './suites/index.js';
export { toJUnit } from './report/junit.js';
export { toHtml } from './report/html.js';
export { chartSvg } from './report/svg.js';
export { Samples } from './samples.js';
export { CaseLog, passed, failed, skipped, type Outcome } from './cases.js';
