import { describe, expect, it } from 'vitest';
import { event } from '../conformance/cases.js';
import { sendOverHttp } from '../conformance/drivers/driver.js';
import { wireRequest } from '../conformance/wire-request.js';
import { startScriptedDeno } from './launch/runtimes.js';
import { describeRuntimeConformance } from './runtime-conformance.js';

describeRuntimeConformance('Deno (Deno.serve)', () => startScriptedDeno());

describe('Deno permissions', () => {
  // createReceiver reads process.env (NODE_UNIQUE_ID, WEB_CONCURRENCY, …) for its setup warnings;
  // Deno refuses the read without --allow-env, which must not stop a receiver from being created.
  it('runs a receiver with network access only (--allow-net)', async () => {
    const server = await startScriptedDeno(['--allow-net=127.0.0.1']);
    try {
      const response = await sendOverHttp(`${server.origin}/module-scope`, wireRequest({ id: 'msg_net_only', body: event('message.received') }, new Date()));
      expect([response.status, response.body]).toEqual([200, '{"received":true}']);
    } finally {
      await server.stop();
    }
  });
});
