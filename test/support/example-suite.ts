// The setup every example's test shares: a stand-in mail API, then the example started against it.
import { afterAll, beforeAll } from 'vitest';
import { startExample, type StartedExample, type StartExampleOptions } from './example-process.js';
import { startMailApi, type MailApi } from './mail-api.js';
import { SECRET } from './signed-delivery.js';

/** The running example of a suite and the mail API it replies through; set before the first test. */
export type ExampleWithMailApi = { example: StartedExample; mailApi: MailApi };

/**
 * Before the suite's tests, starts a mail API that fails its first call and then the example in
 * `directory` with `npm start`, `WEBHOOK_SECRET` set to {@link SECRET}, `MAIL_API_URL` to the mail
 * API and `env`; stops both after them. A `startTimeoutMs` is also the hook's timeout.
 *
 * @example
 * const running = exampleWithMailApi(fileURLToPath(new URL('..', import.meta.url)));
 * it('answers', async () => expect((await fetch(`${running.example.origin}/health`)).ok).toBe(true));
 */
export function exampleWithMailApi(directory: string, env: Record<string, string> = {}, options: StartExampleOptions = {}): ExampleWithMailApi {
  const running: Partial<ExampleWithMailApi> = {};
  beforeAll(async () => {
    running.mailApi = await startMailApi(1);
    running.example = await startExample(directory, { WEBHOOK_SECRET: SECRET, MAIL_API_URL: running.mailApi.url, ...env }, options);
  }, options.startTimeoutMs);
  afterAll(async () => {
    await running.example?.stop();
    await running.mailApi?.close();
  });
  return {
    get example(): StartedExample {
      if (running.example === undefined) throw new Error(`the example in ${directory} did not start`);
      return running.example;
    },
    get mailApi(): MailApi {
      if (running.mailApi === undefined) throw new Error('the mail API did not start');
      return running.mailApi;
    },
  };
}
