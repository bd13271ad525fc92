import { randomUUID } from 'node:crypto';
import { github, stripe, toWebhookHeaders } from '@hookguard/core';
import { sign as signGitHub, verify as verifyGitHub } from '@octokit/webhooks-methods';
import Stripe from 'stripe';
import { interleavedBench } from '../micro/interleaved-bench.js';
import { BODY_SIZES, jsonBody, sizeName } from '../micro/json-body.js';
import { pairedFigure, type Figure } from '../report/figures.js';
import { series } from '../report/statistics.js';
import type { BenchContext, BenchOutcome } from './benchmark.js';
import { microSettings } from './b3-standard-webhooks.js';

const STRIPE_SECRET = 'whsec_bench_0123456789abcdefghijklmnopqrstuv';
const GITHUB_SECRET = 'bench-github-secret-0123456789';

const opsPerSecond = (micros: readonly number[]): number[] => micros.map((value) => 1e6 / value);

/**
 * B4: Stripe and GitHub verification through hookguard against each provider's own SDK call,
 * signatures made by those SDKs' signers. Each side ends with the parsed event: hookguard and
 * `constructEvent` parse the body themselves; with `@octokit/webhooks-methods` the caller parses
 * it after `verify`, so that side includes the `JSON.parse` a receiver needs (and the SDK's
 * `verify` alone is reported for information).
 */
export async function runB4(context: BenchContext): Promise<BenchOutcome> {
  const stripeSdk = new Stripe('sk_test_bench_unused');
  const stripeVerifier = stripe({ secret: STRIPE_SECRET });
  const githubVerifier = github({ secret: GITHUB_SECRET });
  const figures: Figure[] = [];
  for (const bytes of BODY_SIZES) {
    const size = sizeName(bytes);
    const created = Math.floor(Date.now() / 1000);
    const stripeBody = jsonBody(bytes, { id: 'evt_1QwErTyUiOpAsDfGhJkLzXcV', object: 'event', type: 'invoice.paid', created });
    const stripeHeader = stripeSdk.webhooks.generateTestHeaderString({ payload: stripeBody.toString(), secret: STRIPE_SECRET });
    const stripeHeaders = { 'stripe-signature': stripeHeader, 'content-type': 'application/json' };
    const githubBody = jsonBody(bytes, { action: 'opened', number: 1347 });
    const githubSignature = await signGitHub(GITHUB_SECRET, githubBody.toString());
    const githubHeaders = {
      'x-hub-signature-256': githubSignature,
      'x-github-event': 'issues',
      'x-github-delivery': randomUUID(),
      'content-type': 'application/json',
    };
    await stripeVerifier.verify({ rawBody: stripeBody, headers: toWebhookHeaders(stripeHeaders) });
    stripeSdk.webhooks.constructEvent(stripeBody, stripeHeader, STRIPE_SECRET);
    await githubVerifier.verify({ rawBody: githubBody, headers: toWebhookHeaders(githubHeaders) });
    if (!(await verifyGitHub(GITHUB_SECRET, githubBody.toString(), githubSignature))) throw new Error('octokit refused its own signature');
    context.log(`  B4 ${size}`);
    const micros = await interleavedBench(
      [
        { name: 'hookguard stripe', run: () => stripeVerifier.verify({ rawBody: stripeBody, headers: toWebhookHeaders(stripeHeaders) }) },
        { name: 'stripe constructEvent', run: () => stripeSdk.webhooks.constructEvent(stripeBody, stripeHeaders['stripe-signature'], STRIPE_SECRET) },
        { name: 'hookguard github', run: () => githubVerifier.verify({ rawBody: githubBody, headers: toWebhookHeaders(githubHeaders) }) },
        {
          name: 'octokit verify + parse',
          run: async () => {
            const payload = githubBody.toString();
            if (await verifyGitHub(GITHUB_SECRET, payload, githubHeaders['x-hub-signature-256'])) return JSON.parse(payload) as unknown;
            throw new Error('bad signature');
          },
        },
        { name: 'octokit verify', run: () => verifyGitHub(GITHUB_SECRET, githubBody.toString(), githubHeaders['x-hub-signature-256']) },
      ],
      { ...microSettings(context.quick, bytes), log: context.log },
    );
    const ops = (name: string, label: string): ReturnType<typeof series> => series(label, 'ops/s', opsPerSecond(micros.get(name)!));
    figures.push(
      pairedFigure({
        id: 'B4',
        key: `B4.stripe.${bytes / 1024}k`,
        title: `Stripe verify, ${size}: hookguard ops/s ÷ stripe constructEvent ops/s`,
        numerator: ops('hookguard stripe', 'hookguard'),
        denominator: ops('stripe constructEvent', 'constructEvent'),
        goal: { op: '>=', value: 1.0 },
      }),
      pairedFigure({
        id: 'B4',
        key: `B4.github.${bytes / 1024}k`,
        title: `GitHub verify, ${size}: hookguard ops/s ÷ @octokit/webhooks-methods verify + JSON.parse ops/s`,
        numerator: ops('hookguard github', 'hookguard'),
        denominator: ops('octokit verify + parse', 'octokit verify + parse'),
        goal: { op: '>=', value: 1.0 },
      }),
      pairedFigure({
        id: 'B4',
        key: `B4.github.${bytes / 1024}k.verify-only`,
        title: `GitHub verify, ${size}: hookguard ops/s ÷ @octokit/webhooks-methods verify alone ops/s`,
        numerator: ops('hookguard github', 'hookguard'),
        denominator: ops('octokit verify', 'octokit verify'),
        notes: ['information: hookguard also parses the body and reads the event type, which verify alone does not'],
      }),
    );
  }
  return { figures, skipped: [] };
}
