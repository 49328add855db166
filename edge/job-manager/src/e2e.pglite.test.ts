import { e2eSuite } from './testing/e2e-suite.js';

e2eSuite('pglite');
