// The shared example helpers, under the path examples/observability/src/server.test.ts imports them from.
export { startExample, type StartedExample } from '../../../test/support/example-process.js';
export { SECRET } from '../../../test/support/signed-delivery.js';
