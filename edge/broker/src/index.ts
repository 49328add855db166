export { startEdgeBroker, type EdgeBroker, type EdgeBrokerOptions, type DurableSession } from './broker.js';
export { type BrokerAuth } from './auth.js';
export { brokerAclSchema, filterCovers, topicMatches, type BrokerAcl, type ClientRights } from './acl.js';
