export { startAndon, type Andon, type AndonOptions } from './server.js';
export { AndonBoard, maxActiveAlarms } from './board.js';
export { DeviceSessions, SignInLimiter, sessionLifetimeMs, type DeviceSession } from './devices.js';
