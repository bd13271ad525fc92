import type { OptionNames } from '../errors/unknown-options.js';
import { cryptoBackend, type CryptoBackend } from '../crypto/index.js';
import { WebhookError } from '../errors/webhook-error.js';
import type { WebhookHeaders } from '../http/headers.js';
import { OPEN_BRACE, decodeFormBody, decodeJsonBody, firstNonSpace, parseJson, readString, type DecodedBody } from './decode-body.js';
import { buildHmacVerifier } from './hmac-verifier.js';
import type { SecretInput } from './secrets.js';
import type { VerifiedDelivery, Verifier } from './verifier.js';
import { requireOptions, type CommonVerifierOptions } from './verifier-options.js';
import { missingHeader, noSupportedSignature } from './verify-errors.js';

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

const GITHUB_OPTIONS: OptionNames<GitHubOptions> = { now: true, logger: true, secret: true, retentionMs: true };

const GITHUB_RETENTION_MS = 3 * 24 * 60 * 60 * 1000;

/**
 * Verifies GitHub webhooks: `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 over the raw body.
 * Deliveries signed only with SHA-1 (`X-Hub-Signature`) are refused, and so are deliveries without
 * `X-GitHub-Event` (`ERR_HOOKGUARD_MISSING_HEADER`). The id is `X-GitHub-Delivery`; the type is
 * `X-GitHub-Event`, plus `.` and the body's `action` when it has one (`issues.opened`). As with
 * `@octokit/webhooks`, a handler for `'issues'` receives every `issues` action and one for
 * `'issues.opened'` only that action. Only the body is signed: the delivery id and the event
 * header are not, so dedup keys on the body (see `dedupId`), and there is no replay window.
 *
 * @example
 * ```ts
 * const receiver = createReceiver({ verifier: github({ secret: process.env.GITHUB_WEBHOOK_SECRET! }) });
 * receiver.on('issues', async (event) => { … }); // issues.opened, issues.closed, …
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
  const given = requireOptions('github', options, GITHUB_OPTIONS);
  return buildHmacVerifier(
    {
      name: 'github',
      secret: given.secret,
      header: 'x-hub-signature-256',
      algorithm: 'SHA-256',
      encoding: 'hex',
      prefix: 'sha256=',
      id: { header: 'x-github-delivery' },
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
      unsignedId: true,
      interpret: interpretGitHub,
    },
  );
}

function interpretGitHub(rawBody: Uint8Array, headers: WebhookHeaders): VerifiedDelivery {
  const event = nonEmpty(headers.get('x-github-event'));
  // Every GitHub delivery names its event: without it the request is malformed (400), not an
  // event nobody handles (200 ignored, which GitHub never resends).
  if (event === undefined) throw missingHeader('GitHub', 'X-GitHub-Event');
  const { payload, bodyError } = decodeGitHubBody(rawBody);
  const delivery: VerifiedDelivery = { id: nonEmpty(headers.get('x-github-delivery')), type: event, timestamp: undefined, payload };
  const action = readString(payload, 'action');
  if (action !== undefined) {
    delivery.type = `${event}.${action}`;
    delivery.alias = event;
  }
  if (bodyError !== undefined) delivery.bodyError = bodyError;
  return delivery;
}

/**
 * A webhook's content type is GitHub's setting: `application/json` posts the JSON as the body,
 * `application/x-www-form-urlencoded` posts it in the form field `payload`; both are signed as
 * sent. The shape is read from the signed bytes (a JSON body starts with `{`, a form body never
 * does), not from the unsigned `Content-Type`. Refusing form bodies would lose every event of such
 * a webhook: GitHub never retries.
 */
function decodeGitHubBody(rawBody: Uint8Array): DecodedBody {
  if (firstNonSpace(rawBody) === OPEN_BRACE) return decodeJsonBody(rawBody);
  const form = decodeFormBody(rawBody);
  if (form.bodyError !== undefined) return form;
  const field = readString(form.payload, 'payload');
  if (field !== undefined) {
    const parsed = parseJson(field);
    if (parsed.bodyError === undefined) return parsed;
  }
  return {
    payload: undefined,
    bodyError: new WebhookError(
      'ERR_HOOKGUARD_INVALID_BODY',
      `The body is authentic but neither JSON (content type application/json) nor a form whose payload field holds JSON ` +
        `(application/x-www-form-urlencoded) (${rawBody.length} bytes). Check the webhook's content type in GitHub's settings.`,
    ),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.length === 0 ? undefined : value;
}
