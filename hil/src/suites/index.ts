import { connectivitySuite, jobDryRunSuite, tagMapSuite } from './basic.js';
import type { Suite } from './context.js';
import { drillsSuite } from './drills.js';
import { latencySuite, soakSuite } from './polling.js';

/** Every HIL suite, in the order they run. */
export const hilSuites: Suite[] = [connectivitySuite, tagMapSuite, jobDryRunSuite, latencySuite, soakSuite, drillsSuite];
export { runSuite, type Suite, type SuiteContext } from './context.js';
