import { cryptoBackend, type CryptoBackend } from '../crypto/index.js';
import type { WebhookHeaders } from '../http/headers.js';
import { readString } from './decode-body.js';
import { buildHmacVerifier } from './hmac-verifier.js';
import type { SecretInput } from './secrets.js';
import type { Verifier } from './verifier.js';
import { requireOptions, type CommonVerifierOptions } from './verifier-options.js';
import { noSupportedSignature } from './verify-errors.js';

/** Options for {@link github}. */
export type GitHubOptions = CommonVerifierOptions & {
  /** The webhook's secret (repository, organization or App settings); a list during a rotation. */
  secret: SecretInput;
  /**
   * How long a handled delivery id is remembered. GitHub never redelivers on its own; people and
   * scripts can redeliver deliveries of the past 3 days (7 days on GitHub Enterprise Server).
   * @default 259_200_000 (3 days)
   */
  retentionMs?: number;
};

const GITHUB_RETENTION_MS = 3 * 24 * 60 * 60 * 1000;

/**
 * Verifies GitHub webhooks: `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 over the raw body.
 * Deliveries signed only with SHA-1 (`X-Hub-Signature`) are refused. The id is
 * `X-GitHub-Delivery`; the type is `X-GitHub-Event`, plus `.` and the body's `action` when it has
 * one (`issues.opened`). A handler for `'issues'` therefore only sees action-less events: register
 * `'issues.*'` (or both) to see them all. There is no signed timestamp, so no replay window.
 *
 * @example
 * ```ts
 * const receiver = createReceiver({ verifier: github({ secret: process.env.GITHUB_WEBHOOK_SECRET! }) });
 * receiver.on(['pull_request.opened', 'pull_request.reopened'], async (event) => { … });
 * receiver.on('ping', () => {});
 * ```
 */
export function github(options: GitHubOptions): Verifier {
  return buildGitHub(options, cryptoBackend);
}

/**
 * {@link github} with an explicit crypto backend.
 * @internal
 */
export function buildGitHub(options: GitHubOptions, backend: CryptoBackend): Verifier {
  const given = requireOptions('github', options);
  return buildHmacVerifier(
    {
      name: 'github',
      secret: given.secret,
      header: 'x-hub-signature-256',
      algorithm: 'SHA-256',
      encoding: 'hex',
      prefix: 'sha256=',
      id: { header: 'x-github-delivery' },
      type: githubType,
      retentionMs: given.retentionMs ?? GITHUB_RETENTION_MS,
      ...(given.now === undefined ? {} : { now: given.now }),
      ...(given.logger === undefined ? {} : { logger: given.logger }),
    },
    backend,
    {
      label: 'GitHub',
      headerLabel: 'X-Hub-Signature-256',
      whenMissing: (headers: WebhookHeaders) =>
        headers.get('x-hub-signature') === undefined
          ? undefined
          : noSupportedSignature('GitHub', 'X-Hub-Signature-256', 'SHA-256', 'only a SHA-1 X-Hub-Signature'),
    },
  );
}

function githubType({ headers, payload }: { headers: WebhookHeaders; payload: unknown }): string | undefined {
  const event = headers.get('x-github-event');
  if (event === undefined || event.length === 0) return undefined;
  const action = readString(payload, 'action');
  return action === undefined ? event : `${event}.${action}`;
}
