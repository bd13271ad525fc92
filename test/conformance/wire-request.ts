import { Webhook } from 'standardwebhooks';
import { event, type DeliverySpec } from './cases.js';

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OTHER_SECRET = 'whsec_bm90IHRoZSBlbmRwb2ludCdzIHNlY3JldCBhdCBhbGw=';
export const PATH = '/webhooks';

/** A request as the drivers send it: header lines in wire order (a name may repeat) and exact bytes. */
export type WireRequest = {
  path: string;
  headers: readonly (readonly [name: string, value: string])[];
  body: Uint8Array<ArrayBuffer>;
  /** Send the body as a stream without a Content-Length. */
  chunked: boolean;
  /** Send only {@link sentPieces} of it, then nothing more, leaving the request open (implies `chunked`). */
  stalls: boolean;
};

/** A response as the drivers report it: header names lower-case. */
export type WireResponse = {
  status: number;
  headers: Record<string, string>;
  body: string;
};

function spell(name: string, headerCase: DeliverySpec['headerCase']): string {
  if (headerCase === 'upper') return name.toUpperCase();
  if (headerCase === 'capitalized') return name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
  return name;
}

/** Builds the request a spec describes, signed at `now` by the Standard Webhooks SDK. */
export function wireRequest(spec: DeliverySpec, now: Date): WireRequest {
  const id = spec.id ?? 'msg_conformance';
  const body = spec.body ?? event('message.received');
  const signedAt = new Date(now.getTime() + (spec.clockSkewSeconds ?? 0) * 1000);
  const signature = spec.signature ?? 'valid';
  const valid = new Webhook(SECRET).sign(id, signedAt, body);
  const contentType = spec.contentType === undefined ? 'application/json' : spec.contentType;
  const headers: [string, string][] = contentType === null ? [] : [['content-type', contentType]];
  const webhookHeaders: [string, string][] = [
    ['webhook-id', id],
    ['webhook-timestamp', String(Math.floor(signedAt.getTime() / 1000))],
  ];
  const wrong = new Webhook(OTHER_SECRET).sign(id, signedAt, body);
  const signatures = signature === 'wrong-secret' ? [wrong] : signature === 'bad-then-valid' ? [wrong, valid] : [valid];
  for (const value of signatures) webhookHeaders.push(['webhook-signature', value]);
  for (const header of webhookHeaders) if (!(spec.omit ?? []).some((name) => name === header[0])) headers.push(header);
  return {
    path: PATH,
    headers: headers.map(([name, value]) => [spell(name, spec.headerCase), value] as const),
    body: new TextEncoder().encode(body),
    chunked: (spec.chunked ?? false) || (spec.stalls ?? false),
    stalls: spec.stalls ?? false,
  };
}

/** The body in pieces of at most `size` bytes, as a chunked upload sends it. */
export function pieces(body: Uint8Array<ArrayBuffer>, size = 512): Uint8Array<ArrayBuffer>[] {
  const out: Uint8Array<ArrayBuffer>[] = [];
  for (let offset = 0; offset < body.byteLength; offset += size) out.push(body.slice(offset, offset + size));
  return out;
}

/** The pieces of a request's body that are sent: all of them, or the first half of a stalled one. */
export function sentPieces(request: WireRequest): Uint8Array<ArrayBuffer>[] {
  return request.stalls ? [request.body.slice(0, Math.max(1, request.body.byteLength >> 1))] : pieces(request.body);
}

/** The body as a Web stream without a length; a stalled one never ends (its pull waits forever). */
export function webStream(request: WireRequest): ReadableStream<Uint8Array> {
  const chunks = sentPieces(request);
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks.shift();
      if (chunk !== undefined) controller.enqueue(chunk);
      else if (request.stalls) return new Promise<void>(() => undefined);
      else controller.close();
      return undefined;
    },
  });
}

/** The header lines as a Web `Headers` (repeated names appended, as `fetch` sends them). */
export function webHeaders(request: WireRequest): Headers {
  const headers = new Headers();
  for (const [name, value] of request.headers) headers.append(name, value);
  return headers;
}

/** A Web `Response` as a {@link WireResponse}. */
export async function fromWebResponse(response: Response): Promise<WireResponse> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { status: response.status, headers, body: await response.text() };
}
