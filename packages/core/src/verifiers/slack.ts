import type { OptionNames } from '../errors/unknown-options.js';
import { cryptoBackend, type CryptoBackend } from '../crypto/index.js';
import { buildHmacVerifier } from './hmac-verifier.js';
import type { SecretInput } from './secrets.js';
import { interpretSlack } from './slack-payload.js';
import type { Verifier } from './verifier.js';
import { requireOptions, type CommonVerifierOptions } from './verifier-options.js';

/** Options for {@link slack}. */
export type SlackOptions = CommonVerifierOptions & {
  /** The app's Signing Secret (Basic Information → App Credentials); a list during a rotation. */
  signingSecret: SecretInput;
  /**
   * Accepted distance between `X-Slack-Request-Timestamp` and the clock, in both directions.
   * @default 300
   */
  toleranceSeconds?: number;
};

const SLACK_OPTIONS: OptionNames<SlackOptions> = { now: true, logger: true, signingSecret: true, toleranceSeconds: true };

/** The Events API retries 3 times: at once, after 1 minute, after 5 minutes. 1 hour covers it. */
const SLACK_RETENTION_MS = 60 * 60 * 1000;

/**
 * Verifies Slack requests: `X-Slack-Signature: v0=<hex>`, HMAC-SHA256 over
 * `v0:${X-Slack-Request-Timestamp}:${body}`. Reads Events API JSON (id `event_id`, type
 * `event.type`), interactivity payloads and slash commands (form-encoded), and answers the
 * `url_verification` handshake with its challenge.
 *
 * @example
 * ```ts
 * const receiver = createReceiver({ verifier: slack({ signingSecret: process.env.SLACK_SIGNING_SECRET! }) });
 * receiver.on('app_mention', async (event) => { … });
 * receiver.on('slash_command./deploy', async (event) => { … });
 * ```
 */
export function slack(options: SlackOptions): Verifier {
  return buildSlack(options, cryptoBackend);
}

/**
 * {@link slack} with an explicit crypto backend.
 * @internal
 */
export function buildSlack(options: SlackOptions, backend: CryptoBackend): Verifier {
  const given = requireOptions('slack', options, SLACK_OPTIONS);
  return buildHmacVerifier(
    {
      name: 'slack',
      secret: given.signingSecret,
      header: 'x-slack-signature',
      algorithm: 'SHA-256',
      encoding: 'hex',
      prefix: 'v0=',
      timestampHeader: 'x-slack-request-timestamp',
      ...(given.toleranceSeconds === undefined ? {} : { toleranceSeconds: given.toleranceSeconds }),
      signedContent: ({ rawBody, timestamp }) => [`v0:${timestamp ?? ''}:`, rawBody],
      retentionMs: SLACK_RETENTION_MS,
      ...(given.now === undefined ? {} : { now: given.now }),
      ...(given.logger === undefined ? {} : { logger: given.logger }),
    },
    backend,
    {
      label: 'Slack',
      secretOption: 'signingSecret',
      headerLabel: 'X-Slack-Signature',
      timestampHeaderLabel: 'X-Slack-Request-Timestamp',
      interpret: interpretSlack,
    },
  );
}
