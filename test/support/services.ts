// Which of the machine's services the cross-package tests can use. Absent services skip their
// tests with a printed reason; under CI=true they are required, so their absence fails the run.
import { Socket } from 'node:net';
import { describe } from 'vitest';

export const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' } as const;
export const REDIS = { host: '127.0.0.1', port: 6379 } as const;

function answers(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

const required = process.env['CI'] === 'true';

async function describeWhen(service: string, port: number): Promise<typeof describe.skip> {
  if (await answers(port)) return describe;
  if (required) return describe; // the tests run and fail on the refused connection
  console.warn(`Skipping tests that need ${service}: nothing answers on 127.0.0.1:${port}. With CI=true they fail instead.`);
  return describe.skip;
}

/** `describe` when PostgreSQL answers (or CI requires it), `describe.skip` with a printed reason otherwise. */
export const describeWithPostgres = await describeWhen('PostgreSQL', POSTGRES.port);
/** `describe` when Redis answers (or CI requires it), `describe.skip` with a printed reason otherwise. */
export const describeWithRedis = await describeWhen('Redis', REDIS.port);
