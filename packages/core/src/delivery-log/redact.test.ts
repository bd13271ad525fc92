import { describe, expect, it } from 'vitest';
import { redactSecrets } from './redact.js';

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
