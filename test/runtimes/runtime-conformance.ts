/**
 * The HTTP conformance table (`../conformance/cases.ts`), case by case, against the scripted app
 * running in a real runtime, over loopback HTTP, through the Hono adapter and through the Web
 * handler: the same statuses, bodies and handler runs as on Node. Each case gets its own receiver
 * in the runtime (`PUT /runs/:run`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cases, event, type ConformanceCase } from '../conformance/cases.js';
import { checkCase } from '../conformance/check-case.js';
import { sendOverHttp } from '../conformance/drivers/driver.js';
import { SECRET, wireRequest } from '../conformance/wire-request.js';
import type { RunSetup } from './app/scripted-app.js';
import type { RunningServer } from './launch/spawn-server.js';

async function ok(response: Promise<Response>): Promise<Response> {
  const answered = await response;
  if (!answered.ok) throw new Error(`the scripted app answered ${answered.status}: ${await answered.text()}`);
  return answered;
}

/** Which handler of the scripted app serves the deliveries. */
type Adapter = { name: string; path: string };
const adapters: readonly Adapter[] = [
  { name: 'the Hono adapter (@hookguard/hono)', path: '' },
  { name: 'the Web handler (@hookguard/web)', path: '/web' },
];

async function runCase(origin: string, run: string, adapter: Adapter, testCase: ConformanceCase): Promise<void> {
  const base = `${origin}/runs/${run}`;
  const setup: RunSetup = { secret: SECRET, ...(testCase.receiver ? { receiver: testCase.receiver } : {}), ...(testCase.handler ? { handler: testCase.handler } : {}) };
  await ok(fetch(base, { method: 'PUT', body: JSON.stringify(setup) }));
  try {
    await checkCase(testCase, (wire) => sendOverHttp(`${base}${adapter.path}`, wire), {
      entered: () => ok(fetch(`${base}/entered`)),
      release: async () => void (await ok(fetch(`${base}/release`, { method: 'POST' }))),
      handled: async () => (await (await ok(fetch(`${base}/handled`))).json()) as unknown[],
    });
  } finally {
    await ok(fetch(base, { method: 'DELETE' }));
  }
}

/** Defects of the core seen only in this runtime: each test is expected to fail until it is fixed. */
export type KnownDefects = {
  /** Why the receiver created at module scope logs a warning there. */
  moduleScopeLogs?: string;
};

/** Runs the conformance table, and a receiver created at module scope, in the runtime `start` starts. */
export function describeRuntimeConformance(runtime: string, start: () => Promise<RunningServer>, knownDefects: KnownDefects = {}): void {
  describe(`HTTP conformance in ${runtime}`, () => {
    let server: RunningServer | undefined;
    beforeAll(async () => {
      server = await start();
    });
    afterAll(async () => {
      await server?.stop();
    });
    const origin = (): string => {
      if (server === undefined) throw new Error(`${runtime} did not start`);
      return server.origin;
    };

    adapters.forEach((adapter, adapterIndex) => {
      describe(adapter.name, () => {
        cases.forEach((testCase, index) => {
          it(testCase.name, () => runCase(origin(), `adapter-${adapterIndex}-case-${index}`, adapter, testCase));
        });
      });
    });

    it('runs a receiver created at module scope: processes a delivery and answers its redelivery as a duplicate', async () => {
      const delivery = wireRequest({ id: 'msg_module_scope', body: event('message.received', { text: 'from the top level' }) }, new Date());
      const first = await sendOverHttp(`${origin()}/module-scope`, delivery);
      const again = await sendOverHttp(`${origin()}/module-scope`, delivery);
      expect([first.status, first.body]).toEqual([200, '{"received":true}']);
      expect([again.status, again.body]).toEqual([200, '{"received":true,"duplicate":true}']);
      expect(await (await ok(fetch(`${origin()}/module-scope/handled`))).json()).toEqual([{ text: 'from the top level' }]);
    });

    const logsNothing = knownDefects.moduleScopeLogs === undefined ? it : it.fails;
    const logName = 'the receiver created at module scope logs nothing for a delivery and its identical redelivery';
    logsNothing(knownDefects.moduleScopeLogs === undefined ? logName : `known defect, ${knownDefects.moduleScopeLogs}: ${logName}`, async () => {
      const delivery = wireRequest({ id: 'msg_module_scope_log', body: event('message.received', { text: 'twice' }) }, new Date());
      expect((await sendOverHttp(`${origin()}/module-scope`, delivery)).status).toBe(200);
      expect((await sendOverHttp(`${origin()}/module-scope`, delivery)).body).toBe('{"received":true,"duplicate":true}');
      expect(await (await ok(fetch(`${origin()}/module-scope/log`))).json()).toEqual([]);
    });
  });
}
