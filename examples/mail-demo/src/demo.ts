// The README's first command: `npm run demo` (flags after `--`, e.g. `npm run demo -- --framework hono`).
import { USAGE, UsageError, parseCliArgs } from './cli-args.js';
import { DemoSetupError } from './setup-error.js';
import { formatHeader, formatReport } from './report.js';
import { resolveDemoOptions, runDemo } from './run-demo.js';

async function main(argv: readonly string[]): Promise<number> {
  let cli;
  try {
    cli = parseCliArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (cli.help) {
    console.log(USAGE);
    return 0;
  }
  const options = {
    ...cli.demo,
    progress: process.stdout,
    ...(cli.verbose ? { log: (line: string) => console.error(line) } : {}),
  };
  console.log(formatHeader(resolveDemoOptions(options)));
  try {
    const result = await runDemo(options);
    console.log(`\n${formatReport(result)}`);
    return result.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof DemoSetupError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
