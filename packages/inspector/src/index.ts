export { createInspector, type InspectedReceiver, type Inspector, type InspectorOptions } from './create-inspector.js';
export { nodeHandler } from './node-handler.js';
