/** A setup problem the demo reports in one line, exiting with status 2. */
export class DemoSetupError extends Error {
  override readonly name = 'DemoSetupError';
}
