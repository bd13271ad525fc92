#!/usr/bin/env node
// The `hookguard` executable. Connections the user's module opened keep the event loop alive,
// so the process exits explicitly once the command is done.
import { runCommand } from './replay-command.js';

runCommand(process.argv.slice(2), console).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
