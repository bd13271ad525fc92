/**
 * The parts of one verify at 1 KB, timed alone with the harness of B3 and B4, to explain their
 * figures: hookguard's GitHub and Standard Webhooks verifiers, the SDK call they are compared with,
 * and the steps both sides take.
 *
 *   npm run build && node_modules/.bin/tsx bench/src/diagnostics/verify-breakdown.ts
 */
import { createHmac, createSecretKey } from 'node:crypto';
import { github, standardWebhooks, toWebhookHeaders } from '@hookguard/core';
import { sign as signGitHub, verify as verifyGitHub } from '@octokit/webhooks-methods';
// Internal: the body decoder the verifiers use, to time it alone.
import { decodeJsonBody } from './core-internals.js';
import { SECRET, signDelivery } from '../http/deliveries.js';
import { interleavedBench } from '../micro/interleaved-bench.js';
import { jsonBody } from '../micro/json-body.js';
import { referenceVerify } from '../micro/reference-verify.js';
import { median } from '../report/statistics.js';

const GITHUB_SECRET = 'bench-github-secret-0123456789';
const githubBody = jsonBody(1024, { action: 'opened', number: 1347 });
const githubText = githubBody.toString();
const githubSignature = await signGitHub(GITHUB_SECRET, githubText);
const githubHeaders = { 'x-hub-signature-256': githubSignature, 'x-github-event': 'issues', 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' };
const githubVerifier = github({ secret: GITHUB_SECRET });
const githubKey = createSecretKey(Buffer.from(GITHUB_SECRET));

const swBody = jsonBody(1024, { type: 'invoice.paid', timestamp: '2025-01-01T00:00:00.000Z' });
const swHeaders = signDelivery('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', Math.floor(Date.now() / 1000), swBody);
const swVerifier = standardWebhooks({ secret: SECRET });
const swKey = createSecretKey(Buffer.from(SECRET.slice('whsec_'.length), 'base64'));

const micros = await interleavedBench(
  [
    { name: 'GitHub: hookguard github().verify', run: () => githubVerifier.verify({ rawBody: githubBody, headers: toWebhookHeaders(githubHeaders) }) },
    {
      name: 'GitHub: octokit verify + JSON.parse',
      run: async () => {
        const payload = githubBody.toString();
        if (await verifyGitHub(GITHUB_SECRET, payload, githubSignature)) return JSON.parse(payload) as unknown;
        throw new Error('bad signature');
      },
    },
    { name: 'HMAC: KeyObject key, update(Buffer), digest()', run: () => createHmac('sha256', githubKey).update(githubBody).digest() },
    { name: 'HMAC: string key, update(string), digest("hex")', run: () => createHmac('sha256', GITHUB_SECRET).update(githubText).digest('hex') },
    { name: 'body: decodeJsonBody (fatal TextDecoder + JSON.parse)', run: () => decodeJsonBody(githubBody) },
    { name: 'body: JSON.parse(buffer.toString())', run: () => JSON.parse(githubBody.toString()) as unknown },
    { name: 'headers: toWebhookHeaders + 3 gets', run: () => { const headers = toWebhookHeaders(githubHeaders); return headers.get('x-hub-signature-256')! + headers.get('x-github-event')! + headers.get('x-github-delivery')!; } },
    { name: 'Standard Webhooks: hookguard verify', run: () => swVerifier.verify({ rawBody: swBody, headers: toWebhookHeaders(swHeaders) }) },
    { name: 'Standard Webhooks: node:crypto reference + parse', run: () => referenceVerify(swKey, swBody, swHeaders, true) },
  ],
  { rounds: 5, timeMs: 300, warmupMs: 1000, batch: 100 },
);
console.log(`µs per call at 1 KB, median of 5 interleaved rounds (Node ${process.version}):`);
for (const [name, runs] of micros) console.log(`  ${median(runs).toFixed(2).padStart(6)}  ${name}`);
