import { expect } from 'vitest';
import type { ConformanceCase } from './cases.js';
import { wireRequest, type WireRequest, type WireResponse } from './wire-request.js';

/** How a run reaches the scripted `message.received` handler of the case's receiver. */
export type HandlerScript = {
  /** Resolves once the handler of a held first delivery runs (`holds-first`). */
  entered(): Promise<unknown>;
  /** Lets the held handler finish. */
  release(): Promise<void> | void;
  /** The event data of each handler call, in order. */
  handled(): Promise<readonly unknown[]> | readonly unknown[];
};

/**
 * Sends the case's requests (signed now) with `send`, the second one while the first one's handler
 * runs when the case says so, and checks every answer and the handler calls against the table.
 *
 * @example
 * await checkCase(testCase, (wire) => driver.send(wire), { entered: () => entered, release, handled: () => handled });
 */
export async function checkCase(testCase: ConformanceCase, send: (request: WireRequest) => Promise<WireResponse>, script: HandlerScript): Promise<void> {
  const now = new Date();
  const requests = testCase.requests.map(({ send: spec }) => wireRequest(spec, now));
  const responses: WireResponse[] = [];
  if (testCase.timing === 'second-while-first-runs') {
    const first = send(requests[0]!);
    await Promise.race([script.entered(), first.then(() => Promise.reject(new Error('the first request was answered before its handler ran')))]);
    responses[1] = await send(requests[1]!);
    await script.release();
    responses[0] = await first;
  } else {
    for (const request of requests) responses.push(await send(request));
  }
  testCase.requests.forEach(({ expect: expected }, index) => {
    const response = responses[index]!;
    expect({ request: index, status: response.status, body: response.body }).toEqual({ request: index, status: expected.status, body: expected.body });
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    for (const [name, pattern] of Object.entries(expected.headers ?? {})) expect(response.headers[name]).toMatch(pattern);
  });
  const handled = await script.handled();
  expect(handled).toHaveLength(testCase.handlerCalls);
  if (testCase.handledData !== undefined) expect(handled).toEqual(testCase.handledData);
}
