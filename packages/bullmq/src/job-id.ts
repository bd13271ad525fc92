/**
 * The BullMQ job id of a dedup key. BullMQ refuses custom ids that contain `:` (outside its legacy
 * three-part repeatable ids) or that read as an integer (`Job.validateOptions`), and dedup keys are
 * `<namespace>:<id>`. So `%` and `:` are percent-encoded, and an id that would still read as an
 * integer has its first character encoded too. The mapping is one-to-one: distinct keys never share
 * a job id.
 *
 * @example
 * ```ts
 * jobId('github:abc'); // 'github%3Aabc'
 * jobId('12345');      // '%3112345'
 * ```
 */
export function jobId(key: string): string {
  const encoded = key.replaceAll('%', '%25').replaceAll(':', '%3A');
  if (`${Number.parseInt(encoded, 10)}` !== encoded) return encoded;
  return `%${encoded.charCodeAt(0).toString(16).toUpperCase()}${encoded.slice(1)}`;
}
