import { describe, expect, it } from 'vitest';
import { redactMessage, redactSecrets } from './redact.js';

describe('redactSecrets', () => {
  it('masks values of secret-looking keys and email-looking strings at any depth, keeping the rest', () => {
    const payload = {
      type: 'user.created',
      data: {
        user: { name: 'Ada', email: 'ada@example.com', password: 'hunter2', apiKey: 'k', contact: 'bob@example.org' },
        items: [{ accessToken: 't', note: 'write to carol@example.net' }, 'dave@example.io'],
        author_association: 'OWNER',
        client_secret: 's',
        Authorization: 'Bearer x',
      },
    };
    expect(redactSecrets(payload)).toEqual({
      type: 'user.created',
      data: {
        user: { name: 'Ada', email: '[redacted]', password: '[redacted]', apiKey: '[redacted]', contact: '[redacted]' },
        items: [{ accessToken: '[redacted]', note: 'write to carol@example.net' }, '[redacted]'],
        author_association: 'OWNER',
        client_secret: '[redacted]',
        Authorization: '[redacted]',
      },
    });
    expect(payload.data.user.password).toBe('hunter2');
  });
});

describe('redactMessage', () => {
  it('masks email addresses and the values of secret-looking keys in free text, keeping the rest', () => {
    expect(redactMessage('send failed for {"to":"jane.doe@example.com","api_token":"tok_SECRET_VALUE_123","n":1}')).toBe(
      'send failed for {"to":"[redacted]","api_token":"[redacted]","n":1}',
    );
    expect(redactMessage("Authorization: Bearer abc.def, password=hunter2; sessionId = 'a b'")).toBe("Authorization: [redacted], password=[redacted]; sessionId = '[redacted]'");
    expect(redactMessage('SMTP 550 for bob@mail.example.org (mailbox full)')).toBe('SMTP 550 for [redacted] (mailbox full)');
    expect(redactMessage("TypeError: Cannot read properties of undefined (reading 'id')")).toBe("TypeError: Cannot read properties of undefined (reading 'id')");
  });
});
