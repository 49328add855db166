import { ensurePgliteTemplate } from '@plant-twin/db';
import { pgliteTemplateRoot } from './pglite-tuning.js';

// Run by `npm run build` (and so in the image): the job manager's first start on an empty data
// directory copies this template instead of running initdb inside its own memory limit.
await ensurePgliteTemplate(pgliteTemplateRoot);
