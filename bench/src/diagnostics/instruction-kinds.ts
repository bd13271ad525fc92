import { ADAPTER_SERVERS } from '../adapters/adapter-servers.js';
import { FRAMEWORKS, type Handling, type ServerConfig } from '../http/server-config.js';

/** The framework servers instruction-counts.ts runs: `<framework>-<handling>`, memory store. */
const FRAMEWORK_HANDLINGS = ['bare', 'minimal', 'minimal-fingerprint', 'hookguard', 'by-hand'] as const satisfies readonly Handling[];
export const FRAMEWORK_KINDS = FRAMEWORKS.flatMap((framework) => FRAMEWORK_HANDLINGS.map((handling) => `${framework}-${handling}`));

/** Every server instruction-counts.ts can count: the adapter-round servers and the framework ones. */
export const INSTRUCTION_KINDS: readonly string[] = [...ADAPTER_SERVERS, ...FRAMEWORK_KINDS];

/** The HTTP rounds' configuration of a framework kind (`fastify-hookguard`). */
export function frameworkServerConfig(kind: string): ServerConfig {
  if (!FRAMEWORK_KINDS.includes(kind)) throw new Error(`not a framework server: ${kind} (one of ${FRAMEWORK_KINDS.join(', ')})`);
  const dash = kind.indexOf('-');
  return { framework: kind.slice(0, dash) as ServerConfig['framework'], handling: kind.slice(dash + 1) as Handling, store: 'memory' };
}
