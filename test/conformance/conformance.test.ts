import { describe, it } from 'vitest';
import { caseReceiver } from './case-receiver.js';
import { cases, type ConformanceCase } from './cases.js';
import { checkCase } from './check-case.js';
import type { Framework, Transport } from './drivers/driver.js';
import { expressFramework } from './drivers/express.js';
import { fastifyFramework } from './drivers/fastify.js';
import { honoFramework } from './drivers/hono.js';
import { nodeFramework } from './drivers/node.js';
import { webFramework } from './drivers/web.js';
import { SECRET } from './wire-request.js';

const frameworks: Framework[] = [expressFramework, honoFramework, fastifyFramework, webFramework, nodeFramework];
const transports: Transport[] = ['in-process', 'socket'];

/** A receiver whose `message.received` handler behaves as the case says and records its calls. */
function scriptedReceiver(testCase: ConformanceCase) {
  const receiver = caseReceiver(testCase.receiver, SECRET);
  const handled: unknown[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let enter!: () => void;
  const entered = new Promise<void>((resolve) => (enter = resolve));
  receiver.on('message.received', async (event) => {
    handled.push((event.payload as { data?: unknown }).data);
    if (handled.length > 1) return;
    if (testCase.handler === 'throws-first') throw new Error('the mail API is down');
    if (testCase.handler === 'holds-first') {
      enter();
      await released;
    }
  });
  return { receiver, handled, entered, release };
}

/** Sends the case's requests through one framework and checks every answer against the table. */
async function run(framework: Framework, transport: Transport, testCase: ConformanceCase): Promise<void> {
  const script = scriptedReceiver(testCase);
  const driver = await framework.start(script.receiver, transport);
  try {
    await checkCase(testCase, (wire) => driver.send(wire), { entered: () => script.entered, release: script.release, handled: () => script.handled });
  } finally {
    script.release();
    await driver.close();
  }
}

for (const framework of frameworks) {
  describe(`HTTP conformance: ${framework.name}`, () => {
    for (const transport of transports) {
      describe(transport, () => {
        for (const testCase of cases) it(testCase.name, () => run(framework, transport, testCase));
      });
    }
  });
}
