const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index++) difference |= a.charCodeAt(index) ^ b.charCodeAt(index);
  return difference === 0;
}

/**
 * CSRF tokens by signed double submit: a random nonce and its HMAC, set as a `SameSite=Strict`,
 * `HttpOnly` cookie and repeated in each form. A POST is accepted only when the form's token equals
 * the cookie's and its HMAC is ours, so another site can neither read nor forge one (OWASP CSRF
 * Prevention Cheat Sheet, "Signed Double-Submit Cookie").
 */
export class CsrfTokens {
  readonly #key: Promise<CryptoKey>;

  constructor(secret: string | Uint8Array | undefined) {
    const material = secret === undefined ? crypto.getRandomValues(new Uint8Array(32)) : typeof secret === 'string' ? encoder.encode(secret) : new Uint8Array(secret);
    this.#key = crypto.subtle.importKey('raw', material, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  }

  async issue(): Promise<string> {
    const nonce = base64url(crypto.getRandomValues(new Uint8Array(18)));
    return `${nonce}.${await this.#sign(nonce)}`;
  }

  /** Whether `submitted` equals `cookie` and carries our signature. */
  async verify(submitted: string | undefined, cookie: string | undefined): Promise<boolean> {
    if (submitted === undefined || cookie === undefined || submitted === '' || !constantTimeEqual(submitted, cookie)) return false;
    const [nonce, signature, extra] = submitted.split('.');
    if (nonce === undefined || signature === undefined || extra !== undefined) return false;
    return constantTimeEqual(signature, await this.#sign(nonce));
  }

  async #sign(nonce: string): Promise<string> {
    return base64url(new Uint8Array(await crypto.subtle.sign('HMAC', await this.#key, encoder.encode(nonce))));
  }
}

/** The value of one cookie in a request's `Cookie` header. */
export function readCookie(request: Request, name: string): string | undefined {
  const header = request.headers.get('cookie');
  if (header === null) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index !== -1 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}
