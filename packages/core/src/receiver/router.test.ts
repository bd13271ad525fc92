import { describe, expect, it, vi } from 'vitest';
import { signed, testReceiver } from './receiver.fixtures.js';
import { Router } from './router.js';

describe('Router', () => {
  it('matches exact types, prefix wildcards and the catch-all, in registration order', () => {
    const router = new Router();
    const names: string[] = [];
    const add = (pattern: string) => router.add(pattern, () => names.push(pattern), {});
    add('*');
    add('message.*');
    add('message.received');
    add('message.received.spam.*');
    const patterns = (type: string) => router.match(type).map((route) => route.pattern);
    expect(patterns('message.received')).toEqual(['*', 'message.*', 'message.received']);
    expect(patterns('message.received.spam.flagged')).toEqual(['*', 'message.*', 'message.received.spam.*']);
    expect(patterns('message')).toEqual(['*']);
    expect(patterns('messages.x')).toEqual(['*']);
  });

  it('answers from its cache until a handler is added, then sees the new handler', () => {
    const router = new Router();
    router.add('message.received', () => undefined, {});
    const first = router.match('message.received');
    expect(router.match('message.received')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    router.add('message.*', () => undefined, {});
    expect(router.match('message.received').map((route) => route.pattern)).toEqual(['message.received', 'message.*']);
    for (let index = 0; index < 2_500; index++) expect(router.match(`message.t${index}`)).toHaveLength(1);
    expect(router.match('other')).toEqual([]);
  });

  it("matches exact registrations of a delivery's alias too, as octokit's on('issues') receives every issues action", () => {
    const router = new Router();
    const add = (pattern: string) => router.add(pattern, () => undefined, {});
    add('issues');
    add('issues.opened');
    add('issues.*');
    add('pull_request');
    const patterns = (type: string, alias?: string) => router.match(type, alias).map((route) => route.pattern);
    expect(patterns('issues.opened', 'issues')).toEqual(['issues', 'issues.opened', 'issues.*']);
    expect(patterns('issues.closed', 'issues')).toEqual(['issues', 'issues.*']);
    // Without the alias (a scheme whose types have no family), 'issues' stays an exact type.
    expect(patterns('issues.closed')).toEqual(['issues.*']);
    expect(patterns('issues')).toEqual(['issues']);
    // An alias equal to the type adds nothing twice; wildcards never apply to the alias.
    expect(patterns('issues', 'issues')).toEqual(['issues']);
    expect(patterns('labeled', 'issues.x')).toEqual([]);
    expect(patterns('pull_request.synchronize', 'pull_request')).toEqual(['pull_request']);
  });

  it('caches by type and alias together, so one type seen without its alias never hides the alias later', () => {
    const router = new Router();
    router.add('issues', () => undefined, {});
    // A forged event header can make a type arrive without the alias it usually has.
    expect(router.match('issues.opened')).toEqual([]);
    expect(router.match('issues.opened', 'issues').map((route) => route.pattern)).toEqual(['issues']);
    expect(router.match('issues.opened')).toEqual([]);
    const first = router.match('issues.opened', 'issues');
    expect(router.match('issues.opened', 'issues')).toBe(first);
    expect(router.match('issues.opened', 'other')).toEqual([]);
    router.add('issues.opened', () => undefined, {});
    expect(router.match('issues.opened', 'issues').map((route) => route.pattern)).toEqual(['issues', 'issues.opened']);
    for (let index = 0; index < 2_500; index++) expect(router.match(`issues.a${index}`, 'issues')).toHaveLength(1);
    expect(router.match('issues.opened', 'issues')).toHaveLength(2);
  });

  it.each(['', 'message*', '*.received', 'a.*.b', '.*', '**'])('refuses the pattern %j at registration', (pattern) => {
    expect(() => new Router().add(pattern, () => undefined, {})).toThrow(/ERR_HOOKGUARD_INVALID_OPTIONS|wildcard|event type/);
  });
});

describe('dispatch', () => {
  it('runs every matching handler, and answers 500 if any of them fails', async () => {
    const { receiver, clock } = testReceiver();
    const exact = vi.fn();
    const wildcard = vi.fn(() => {
      throw new Error('wildcard failed');
    });
    receiver.on(['message.received', 'message.sent'], exact).on('message.*', wildcard);
    const result = await receiver.receive(signed('msg_1', 'message.received', clock.now()));
    expect(result.status).toBe(500);
    expect(exact).toHaveBeenCalledTimes(1);
    expect(wildcard).toHaveBeenCalledTimes(1);
  });

  it('collects several handler failures into one AggregateError for onError', async () => {
    const { receiver, clock } = testReceiver();
    const seen: unknown[] = [];
    receiver.onError((error) => void seen.push(error));
    receiver.on('a.b', () => Promise.reject(new Error('one'))).on('a.*', () => Promise.reject(new Error('two')));
    const result = await receiver.receive(signed('evt_1', 'a.b', clock.now()));
    expect(result.status).toBe(500);
    expect(seen.map((error) => (error as Error).message)).toEqual(['one', 'two']);
    expect((result.error?.cause as AggregateError).errors).toHaveLength(2);
  });
});
