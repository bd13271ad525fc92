import fc from 'fast-check';
import type { PoolClient } from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPostgres, pg, testPool } from '../postgres.fixtures.js';
import { withInlineValues } from './inline-values.js';
import { statements } from './statements.js';
import { tableNames } from './table-names.js';

const quote = (text: string): string => `'${text.replaceAll("'", "''")}'`;

it('inlines every parameter of every store statement, each with its cast', () => {
  for (const statement of Object.values(statements(tableNames('hookguard_events', undefined)))) {
    const positions = [...statement.text.matchAll(/\$(\d+)/g)].map((match) => Number(match[1]));
    const values = Array.from({ length: Math.max(...positions) }, (_, index) => `v${index + 1}`);
    const inlined = withInlineValues(statement, values, quote);
    expect(inlined).not.toMatch(/\$\d/);
    for (const position of positions) expect(inlined).toContain(`'v${position}'::`);
  }
});

it('writes NULL for null and undefined, and the text pg sends for numbers and booleans', () => {
  const statement = { name: 'probe', text: 'SELECT $1::text, $2::text, $3::float8, $4::boolean, $5::boolean' };
  expect(withInlineValues(statement, [null, undefined, 1.5e21, true, false], quote)).toBe(
    "SELECT NULL::text, NULL::text, '1.5e+21'::float8, 'true'::boolean, 'false'::boolean",
  );
});

it('refuses a parameter without a cast, a missing value, a value of another kind, and NUL', () => {
  expect(() => withInlineValues({ name: 'bare', text: 'SELECT $1' }, ['a'], quote)).toThrow('bare: $1 has no cast');
  expect(() => withInlineValues({ name: 'short', text: 'SELECT $2::text' }, ['a'], quote)).toThrow('short: no value for $2');
  expect(() => withInlineValues({ name: 'object', text: 'SELECT $1::text' }, [{}], quote)).toThrow('received object');
  expect(() => withInlineValues({ name: 'nan', text: 'SELECT $1::float8' }, [Number.NaN], quote)).toThrow('finite number');
  expect(() => withInlineValues({ name: 'nul', text: 'SELECT $1::text' }, ['a\0b'], quote)).toThrow('cannot hold NUL');
});

describeWithPostgres('withInlineValues against PostgreSQL', () => {
  const pool = testPool('hookguard-test-inline-values', { max: 1 });
  let client: PoolClient;
  beforeAll(async () => {
    client = await pool.connect();
  });
  afterAll(async () => {
    client?.release();
    await pool.end();
  });

  it('gives the server the same values as parameters do, whatever quotes, backslashes and characters a string holds', async () => {
    const probe = { name: 'probe', text: 'SELECT $1::text AS text, $2::float8 AS number, $3::boolean AS flag, $4::text AS absent' };
    const tricky = fc.constantFrom("'", "''", '\\', "\\'", "E'", '$1', '::text', ';', '--', '/*', '\n', 'é', '𝄞');
    const text = fc
      .array(fc.oneof(tricky, fc.string({ unit: 'binary' })), { maxLength: 8 })
      .map((parts) => parts.join(''))
      .filter((joined) => !joined.includes('\0'));
    await fc.assert(
      fc.asyncProperty(text, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), async (value, number, flag) => {
        const values = [value, number, flag, null];
        const parameters = await client.query({ text: probe.text, values });
        const inline = await client.query(withInlineValues(probe, values, pg.escapeLiteral));
        expect(inline.rows).toEqual(parameters.rows);
      }),
      { numRuns: 300 },
    );
  });
});
