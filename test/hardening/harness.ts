// What the hostile-input tests share: the three adapters listening on 127.0.0.1, a raw socket
// client that sends bytes `fetch` would refuse to send, Standard Webhooks signing through the
// official SDK, and the process-wide invariants (no stray exception or rejection, no prototype
// changed).
import { serve } from '@hono/node-server';
import type { Logger, Receiver } from '@hookguard/core';
import { webhookHandler as expressHandler } from '@hookguard/express';
import { hookguard } from '@hookguard/fastify';
import { webhookHandler as honoHandler } from '@hookguard/hono';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Webhook } from 'standardwebhooks';
import { closeServer } from '../conformance/drivers/driver.js';

export const SECRET = 'whsec_bXkgdmVyeSBzZWNyZXQgaGFyZGVuaW5nIGtleSEh';
export const OTHER_SECRET = 'whsec_YW5vdGhlciBlbmRwb2ludCdzIHNlY3JldCBrZXk=';
export const PATH = '/webhooks';

export type AdapterName = 'express' | 'hono' | 'fastify';
export const ADAPTERS: readonly AdapterName[] = ['express', 'hono', 'fastify'];

/** A server listening on 127.0.0.1 on a port of its own. */
export type Listening = { port: number; server: Server; close(): Promise<void> };

/** Mounts `receiver` on POST /webhooks in one framework and listens on 127.0.0.1:0. */
export async function listen(adapter: AdapterName, receiver: Receiver): Promise<Listening> {
  if (adapter === 'fastify') {
    const app = Fastify();
    await app.register(hookguard, { receiver, path: PATH });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { port: portOf(app.server), server: app.server, close: () => app.close() };
  }
  const server = await new Promise<Server>((resolve) => {
    if (adapter === 'express') {
      const app = express();
      app.post(PATH, expressHandler(receiver));
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    } else {
      const app = new Hono();
      app.post(PATH, honoHandler(receiver));
      const listening = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(listening as Server));
    }
  });
  return { port: portOf(server), server, close: () => closeServer(server) };
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server is not listening on a TCP port');
  return address.port;
}

/** A header line exactly as written on the wire (the value may hold any byte). */
export type HeaderLine = readonly [name: string | Uint8Array, value: string | Uint8Array];

/** The request head: request line, header lines, blank line. Strings are written as UTF-8. */
export function requestHead(headers: readonly HeaderLine[], path = PATH): Buffer {
  const parts: Buffer[] = [Buffer.from(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`)];
  for (const [name, value] of headers) parts.push(Buffer.from(name), Buffer.from(': '), Buffer.from(value), Buffer.from('\r\n'));
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

/** One HTTP/1.1 chunk of the chunked transfer coding. */
export function chunk(bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${bytes.byteLength.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]);
}

export const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/** What the raw client saw. */
export type Exchange = {
  /** The response status; `undefined` when the connection ended before a status line. */
  status: number | undefined;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from connecting to the complete response (or to the end of the connection). */
  answeredAfterMs: number | undefined;
  /** Milliseconds from connecting until the server ended or reset the connection, if it did. */
  closedAfterMs: number | undefined;
  /** Body bytes (after the head) the client managed to hand to its socket. */
  bodyBytesSent: number;
  /** A socket error seen by the client (ECONNRESET, EPIPE), if any. */
  socketError: string | undefined;
};

export type ExchangeOptions = {
  /** Keep sending the body after the response arrived, until the server closes (or `giveUpMs`). */
  untilServerCloses?: boolean;
  /** Milliseconds after which the client stops waiting and closes the connection itself. */
  giveUpMs?: number;
};

/**
 * Sends `head`, then `body` chunk by chunk (respecting backpressure, so a lazy generator is never
 * run ahead of the socket), and reads the first response. Sending stops as soon as the response is
 * complete (or, with `untilServerCloses`, when the server ends the connection), so an endless
 * body is never sent further than the server reads it.
 */
export function exchange(
  port: number,
  head: Uint8Array,
  body: Iterable<Uint8Array> | AsyncIterable<Uint8Array> = [],
  options: ExchangeOptions = {},
): Promise<Exchange> {
  const giveUpMs = options.giveUpMs ?? 10_000;
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect({ host: '127.0.0.1', port });
    let received = Buffer.alloc(0);
    let parsed: { status: number; headers: Record<string, string>; bodyStart: number; length: number | undefined } | undefined;
    let answeredAfterMs: number | undefined;
    let closedAfterMs: number | undefined;
    let bodyBytesSent = 0;
    let socketError: string | undefined;
    let settled = false;
    let wake: (() => void) | undefined;
    const elapsed = (): number => Math.round(performance.now() - started);

    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      wake?.();
      socket.destroy();
      const bodyText = parsed === undefined ? '' : received.subarray(parsed.bodyStart).toString('utf8');
      resolve({
        status: parsed?.status,
        headers: parsed?.headers ?? {},
        body: parsed?.length === undefined ? bodyText : bodyText.slice(0, parsed.length),
        answeredAfterMs: answeredAfterMs ?? closedAfterMs,
        closedAfterMs,
        bodyBytesSent,
        socketError,
      });
    };
    const timer = setTimeout(finish, giveUpMs);
    const responseComplete = (): boolean => {
      if (parsed === undefined) return false;
      if (parsed.length !== undefined) return received.length - parsed.bodyStart >= parsed.length;
      // A chunked answer (Node's own 417, for one) ends with its last chunk.
      if (parsed.headers['transfer-encoding'] !== 'chunked') return false;
      const body = received.subarray(parsed.bodyStart);
      return body.toString('latin1').startsWith('0\r\n\r\n') || body.includes('\r\n0\r\n\r\n');
    };

    socket.on('data', (data: Buffer) => {
      // Only the first response matters; keep at most what it needs.
      if (received.length < 1 << 20) received = Buffer.concat([received, data]);
      if (parsed === undefined) parsed = parseHead(received);
      if (answeredAfterMs === undefined && responseComplete()) {
        answeredAfterMs = elapsed();
        if (options.untilServerCloses !== true) finish();
      }
    });
    const closed = (): void => {
      closedAfterMs ??= elapsed();
      finish();
    };
    socket.on('end', closed);
    socket.on('close', closed);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      socketError = error.code ?? error.message;
      closed();
    });
    socket.on('drain', () => wake?.());

    socket.once('connect', () => {
      void (async () => {
        if (!socket.write(head)) await new Promise<void>((resume) => (wake = resume));
        for await (const piece of body) {
          if (settled || socket.destroyed || socket.writableEnded) return;
          if (answeredAfterMs !== undefined && options.untilServerCloses !== true) return;
          bodyBytesSent += piece.byteLength;
          if (!socket.write(piece)) await new Promise<void>((resume) => (wake = resume));
        }
      })().catch((error: unknown) => {
        socketError ??= String(error);
        closed();
      });
    });
  });
}

function parseHead(received: Buffer, from = 0): { status: number; headers: Record<string, string>; bodyStart: number; length: number | undefined } | undefined {
  const end = received.indexOf('\r\n\r\n', from);
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = received.subarray(from, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  // An interim answer (100 Continue) precedes the real one.
  if (status >= 100 && status < 200) return parseHead(received, end + 4);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const declared = headers['content-length'];
  return { status, headers, bodyStart: end + 4, length: declared === undefined ? undefined : Number(declared) };
}

/** Resolves after `ms`. Only for pacing a client on purpose (a slow drip), never to wait for a result. */
export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---- Signing -------------------------------------------------------------------------------

const sdk = new Webhook(SECRET);
const otherSdk = new Webhook(OTHER_SECRET);

/** `v1,<base64>` for the delivery, from the Standard Webhooks SDK; `other` signs with another endpoint's secret. */
export function sdkSignature(id: string, seconds: number, body: string, secret: 'endpoint' | 'other' = 'endpoint'): string {
  return (secret === 'endpoint' ? sdk : otherSdk).sign(id, new Date(seconds * 1000), body);
}

/** The key bytes behind {@link SECRET}. */
export const SECRET_KEY = Buffer.from(SECRET.slice('whsec_'.length), 'base64');

/**
 * The signature the receiver expects for exactly these header texts and body bytes (what a leak
 * would expose), as base64. For a plain timestamp it equals the SDK's; the SDK cannot sign a
 * timestamp written any other way, or bytes that are not UTF-8.
 */
export function expectedSignature(id: string, timestamp: string, body: Uint8Array): string {
  return createHmac('sha256', SECRET_KEY).update(`${id}.${timestamp}.`).update(body).digest('base64');
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

// ---- Process-wide invariants ----------------------------------------------------------------

/**
 * Records every `uncaughtException` and `unhandledRejection` while installed. A listener for
 * `uncaughtException` also keeps one from ending the run, so the test can report it itself.
 */
export function watchProcess(): { readonly faults: readonly string[]; dispose(): void } {
  const faults: string[] = [];
  const onException = (error: unknown): void => void faults.push(`uncaughtException: ${describe(error)}`);
  const onRejection = (reason: unknown): void => void faults.push(`unhandledRejection: ${describe(reason)}`);
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return {
    faults,
    dispose() {
      process.off('uncaughtException', onException);
      process.off('unhandledRejection', onRejection);
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The own keys of the built-in prototypes a JSON payload could try to reach. */
export function prototypeKeys(): Record<string, string[]> {
  const keys = (target: object): string[] => Reflect.ownKeys(target).map(String).sort();
  return {
    Object: keys(Object.prototype),
    Array: keys(Array.prototype),
    Function: keys(Function.prototype),
    String: keys(String.prototype),
  };
}

// ---- Logging --------------------------------------------------------------------------------

/** A logger that keeps every line (level, message and fields as JSON). */
export function capturingLogger(): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const keep =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void =>
      void lines.push(`${level} ${message} ${safeJson(fields)}`);
  return { lines, debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, field: unknown) => (field instanceof Error ? { name: field.name, message: field.message, cause: field.cause } : field));
  } catch {
    return String(value);
  }
}

// ---- Memory ---------------------------------------------------------------------------------

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Process memory after a full garbage collection, in bytes. */
export function settledMemory(): { rss: number; arrayBuffers: number } {
  collectGarbage();
  const { rss, arrayBuffers } = process.memoryUsage();
  return { rss, arrayBuffers };
}

/** Samples `rss` and `arrayBuffers` every 10 ms until stopped; returns the peaks. */
export function memoryPeaks(): { stop(): { rss: number; arrayBuffers: number } } {
  const peak = { ...process.memoryUsage() };
  const sample = (): void => {
    const { rss, arrayBuffers } = process.memoryUsage();
    peak.rss = Math.max(peak.rss, rss);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, arrayBuffers);
  };
  const timer = setInterval(sample, 10);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { rss: peak.rss, arrayBuffers: peak.arrayBuffers };
    },
  };
}

export const MiB = 1024 * 1024;
