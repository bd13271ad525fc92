/** The scripted app on `Deno.serve`, on a free loopback port, which it prints as `{"port":N}`. */
import { createScriptedApp } from './scripted-app.js';
import { SECRET } from './secret.js';

// Deno's own typings are not installed: only what this file uses.
declare const Deno: {
  serve(
    options: { hostname: string; port: number; onListen: (address: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): unknown;
};

const app = createScriptedApp(SECRET);
Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: ({ port }) => console.log(JSON.stringify({ port })) }, app.fetch);
