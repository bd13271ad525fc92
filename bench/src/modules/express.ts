// express ships no type declarations and @types/express is a dependency of @hookguard/express,
// not of this package; the request and response types are taken from the adapter's own signature.
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { webhookHandler } from '@hookguard/express';

/** Express's route handler type, as @hookguard/express sees it. */
export type ExpressHandler = ReturnType<typeof webhookHandler>;
export type ExpressRequest = Parameters<ExpressHandler>[0];
export type ExpressResponse = Parameters<ExpressHandler>[1];

/** The part of an Express application this bench uses. */
export type ExpressApp = {
  post(path: string, ...handlers: ExpressHandler[]): ExpressApp;
  set(setting: string, value: unknown): ExpressApp;
  listen(port: number, host: string, callback: () => void): Server;
};

type ExpressFactory = {
  (): ExpressApp;
  raw(options: { type: string; limit: string }): ExpressHandler;
};

const require = createRequire(import.meta.url);

/** The `express` module. */
export const express = require('express') as ExpressFactory;
