/** The scripted app on `Bun.serve`, on a free loopback port, which it prints as `{"port":N}`. */
import { createScriptedApp } from './scripted-app.js';
import { SECRET } from './secret.js';

// Bun's own typings are not installed: only what this file uses.
declare const Bun: {
  serve(options: { hostname: string; port: number; fetch: (request: Request) => Response | Promise<Response> }): { port: number };
};

const app = createScriptedApp(SECRET);
const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: app.fetch });
console.log(JSON.stringify({ port: server.port }));
