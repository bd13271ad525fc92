/**
 * The store operations as Lua scripts, each on exactly one key (`KEYS[1]`), so Redis runs each
 * atomically and a Cluster routes it by that key's slot. Lease deadlines come from the server's
 * `TIME`, or for a first claim from the key's TTL; expiry is the key's own TTL, also counted by
 * the server.
 *
 * A record is one string (docs/stores/redis.md, "Record layout"):
 *
 * | state       | value                                                                  | TTL                                     |
 * |-------------|------------------------------------------------------------------------|-----------------------------------------|
 * | first claim | `n<TTL ms>:<lease ms>:<digest>:<token>` (attempt 1, no last error)      | `<TTL ms>` = max(retention, lease)      |
 * | processing  | `p<attempt>:<lease start s>:<µs>:<lease ms>:<digest>:<token>[\|<last error>]` | max(retention, lease), kept ≥ the lease |
 * | released    | `r<attempts counted>:<token>[\|<last error>]`                           | unchanged                               |
 * | completed   | `<tag><digest>` or `<tag><digest>\|<result JSON>`                      | retention from completion               |
 *
 * A first claim is written by the store's plain `SET … NX GET` (redis-store.ts), not by a script,
 * so it cannot hold the server's time: its lease started when the key got its TTL, and
 * `<lease ms> - (<TTL ms> - PTTL)` is what is left of it. Every script that rewrites one writes a
 * processing record instead. A script of an older version refuses it as a foreign value (an error,
 * never a takeover). In a processing record the lease start is `TIME` as Redis gives it (seconds,
 * microseconds), so writing a claim needs no number formatting, the slowest step of a small script.
 * `<digest>` is `0` without a fingerprint, else the decimal the store computes from it
 * ({@link fingerprintDigest}), so the script hashes nothing. `<tag>` is the first 9 characters of
 * the token that completed the record, 9 digits the store puts at the start of every token
 * (`900000000` for a token without them), so a `complete` re-sent after its reply was lost is
 * recognised. A completed record without a result is thus an
 * integer of at most 19 digits, which Redis keeps inside the value object: no string allocation
 * per remembered event.
 *
 * A record keeps the token that last claimed or released it, so every operation repeated by the
 * same token (ioredis re-sends commands whose reply a dropped connection lost: issue 14, item 7)
 * answers as the first did: a re-sent claim is `claimed` again with the same attempt, a re-sent
 * release or complete answers 1.
 *
 * Millisecond arguments arrive as positive integers (the store rounds them up), so the scripts pass
 * them to `PX` as they are.
 *
 * Claim replies: a positive integer is the attempt just claimed; `c<attempt>|<last error>` the same
 * with the last error a release left; a negative integer is minus the milliseconds left on another
 * caller's lease; any other string is a completed record, its first character `m` (fingerprints
 * match), `d` (they differ) or `u` (either had none), the rest the result JSON.
 * The other scripts answer 1 (done) or 0 (the token does not own the key); complete and extend
 * answer -1 when there is no record at all, which the store reports (evicted, deleted or lost).
 */

/** KEYS[1] record · ARGV token, leaseMs, max(retentionMs, leaseMs)[, fingerprint digest] */
export const CLAIM_SCRIPT = `
local record = redis.call('GET', KEYS[1])
local state = record and string.byte(record)
local digest = ARGV[4] or '0'
if state and state >= 48 and state <= 57 then
  local bar = string.find(record, '|', 2, true)
  local stored = record
  if bar then stored = string.sub(record, 1, bar - 1) end
  stored = string.sub(stored, 10)
  local match = 'u'
  if stored ~= '0' and stored ~= '' and ARGV[4] then
    if stored == digest then match = 'm' else match = 'd' end
  end
  if bar then return match .. string.sub(record, bar + 1) end
  return match
end
local time = redis.call('TIME')
local tail = ':' .. time[1] .. ':' .. time[2] .. ':' .. ARGV[2] .. ':' .. digest .. ':' .. ARGV[1]
if not record then
  redis.call('SET', KEYS[1], 'p1' .. tail, 'PX', ARGV[3])
  return 1
end
local attempt, last
if state == 112 then
  local held, seconds, micros, ms, token, rest = string.match(record, '^p(%d+):(%d+):(%d+):(%d+):%d+:([^|]*)(.*)$')
  last = rest
  if token == ARGV[1] then
    attempt = tonumber(held)
  else
    local left = (seconds - time[1]) * 1000000 + (micros - time[2]) + ms * 1000
    if left > 0 then return -math.ceil(left / 1000) end
    attempt = held + 1
  end
elseif state == 110 then
  local ttl, ms, token = string.match(record, '^n(%d+):(%d+):%d+:(.*)$')
  last = ''
  if token == ARGV[1] then
    attempt = 1
  else
    local left = ms - (ttl - redis.call('PTTL', KEYS[1]))
    if left > 0 then return -left end
    attempt = 2
  end
elseif state == 114 then
  local counted, rest = string.match(record, '^r(%d+)[^|]*(.*)$')
  attempt = counted + 1
  last = rest
else
  return redis.error_reply('ERR hookguard: ' .. KEYS[1] .. ' holds a value that is not a hookguard record')
end
redis.call('SET', KEYS[1], 'p' .. attempt .. tail .. last, 'PX', math.max(redis.call('PTTL', KEYS[1]), ARGV[2]))
if last ~= '' then return 'c' .. attempt .. last end
return attempt
`;

/** KEYS[1] record · ARGV token, retentionMs[, result JSON] */
export const COMPLETE_SCRIPT = `
local record = redis.call('GET', KEYS[1])
if not record then return -1 end
local tag = string.match(ARGV[1], '^[1-8]%d%d%d%d%d%d%d%d')
local state = string.byte(record)
if state >= 48 and state <= 57 then
  if tag and string.sub(record, 1, 9) == tag then return 1 end
  return 0
end
local digest, token
if state == 110 then
  digest, token = string.match(record, '^n%d+:%d+:(%d+):(.*)$')
else
  digest, token = string.match(record, '^p%d+:%d+:%d+:%d+:(%d+):([^|]*)')
end
if token ~= ARGV[1] then return 0 end
local value = (tag or '900000000') .. digest
if ARGV[3] then value = value .. '|' .. ARGV[3] end
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
return 1
`;

/** KEYS[1] record · ARGV token[, `u` (uncounted) or `c`, last error] */
export const RELEASE_SCRIPT = `
local record = redis.call('GET', KEYS[1])
if not record then return 0 end
if string.byte(record) == 114 then
  if string.match(record, '^r%d+:([^|]*)') == ARGV[1] then return 1 end
  return 0
end
local attempt, token, last
if string.byte(record) == 110 then
  attempt, last, token = 1, '', string.match(record, '^n%d+:%d+:%d+:(.*)$')
else
  attempt, token, last = string.match(record, '^p(%d+):%d+:%d+:%d+:%d+:([^|]*)(.*)$')
end
if token ~= ARGV[1] then return 0 end
if ARGV[2] == 'u' then attempt = attempt - 1 end
if ARGV[3] then last = '|' .. ARGV[3] end
redis.call('SET', KEYS[1], 'r' .. attempt .. ':' .. token .. last, 'KEEPTTL')
return 1
`;

/** KEYS[1] record · ARGV token, leaseMs */
export const EXTEND_SCRIPT = `
local record = redis.call('GET', KEYS[1])
if not record then return -1 end
local attempt, digest, token, last
if string.byte(record) == 110 then
  attempt, last, digest, token = 1, '', string.match(record, '^n%d+:%d+:(%d+):(.*)$')
else
  attempt, digest, token, last = string.match(record, '^p(%d+):%d+:%d+:%d+:(%d+):([^|]*)(.*)$')
end
if token ~= ARGV[1] then return 0 end
local time = redis.call('TIME')
local value = 'p' .. attempt .. ':' .. time[1] .. ':' .. time[2] .. ':' .. ARGV[2] .. ':' .. digest .. ':' .. token .. last
redis.call('SET', KEYS[1], value, 'PX', math.max(redis.call('PTTL', KEYS[1]), ARGV[2]))
return 1
`;

/**
 * KEYS[1] record · ARGV token. Withdraws a claim whose caller saw it fail (timed out, connection
 * lost): if it landed anyway, the key goes back to how the claim found it, absent or released with
 * the same attempt count and last error, instead of blocking redeliveries for a lease and counting
 * an attempt that never ran.
 */
export const ABANDON_SCRIPT = `
local record = redis.call('GET', KEYS[1])
if not record then return 0 end
local attempt, token, last
if string.byte(record) == 110 then
  attempt, last, token = '1', '', string.match(record, '^n%d+:%d+:%d+:(.*)$')
else
  attempt, token, last = string.match(record, '^p(%d+):%d+:%d+:%d+:%d+:([^|]*)(.*)$')
end
if token ~= ARGV[1] then return 0 end
if attempt == '1' and last == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], 'r' .. (attempt - 1) .. ':' .. token .. last, 'KEEPTTL')
end
return 1
`;
