export { startErpSim, defaultGenerator, type ErpSim, type ErpSimOptions } from './server.js';
export { Erp, type GeneratorOptions, type NewOrder, type OrderChange } from './erp.js';
export { orderCatalog, type CatalogItem } from './catalog.js';
export { faultsSchema, type Faults } from './faults.js';
