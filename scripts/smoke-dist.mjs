#!/usr/bin/env node
// Imports every package from its built dist/ through the published export map (no source
// condition) and runs one signed delivery through the core, so a broken build or export map
// fails CI even when the tests, which run the sources, pass.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const manifests = readdirSync(join(root, 'packages'))
  .filter((dir) => existsSync(join(root, 'packages', dir, 'package.json')))
  .map((dir) => JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')));
const packages = manifests.map((manifest) => manifest.name);
// Every subpath of every export map (@hookguard/core/testing, …/testing/contracts, @hookguard/bloom/node…).
const entryPoints = manifests.flatMap((manifest) =>
  Object.keys(manifest.exports ?? { '.': null })
    .filter((subpath) => subpath !== './package.json')
    .map((subpath) => manifest.name + subpath.slice(1)),
);
const script = `
  const names = ${JSON.stringify(packages)};
  for (const name of ${JSON.stringify(entryPoints)}) {
    const module = await import(name);
    if (Object.keys(module).length === 0) throw new Error(name + ' exports nothing');
  }
  const { createReceiver, standardWebhooks } = await import('@hookguard/core');
  const { Webhook } = await import('standardwebhooks');
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const receiver = createReceiver({ verifier: standardWebhooks({ secret }) });
  let runs = 0;
  receiver.on('smoke.test', () => { runs++; });
  const body = JSON.stringify({ type: 'smoke.test', data: {} });
  const headers = { 'webhook-id': 'msg_smoke', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': new Webhook(secret).sign('msg_smoke', new Date(), body) };
  const first = await receiver.receive({ rawBody: body, headers });
  const second = await receiver.receive({ rawBody: body, headers });
  if (first.status !== 200 || second.outcome !== 'duplicate' || runs !== 1) throw new Error('smoke delivery failed: ' + JSON.stringify([first, second, runs]));
  console.log('dist smoke: ' + names.length + ' packages (${entryPoints.length} entry points) import from dist; one delivery processed, its redelivery answered duplicate');
`;
// Run from the e2e test package, which depends on every package, with no custom conditions.
const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: join(root, 'test'), stdio: 'inherit' });
process.exit(result.status ?? 1);
