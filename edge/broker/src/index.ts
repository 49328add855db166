export { startEdgeBroker, type EdgeBroker } from './broker.js';
