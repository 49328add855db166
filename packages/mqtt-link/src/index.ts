export { MqttConnection, type MqttConnectionOptions, type MqttEndpoint, type MqttWill } from './connection.js';
export { NotAcknowledged, QosPublisher, type QosPublisherOptions } from './qos-publisher.js';
