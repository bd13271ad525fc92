/** The scripted app as a Cloudflare Worker module: workerd calls `fetch` on the default export. */
import { createScriptedApp } from './scripted-app.js';
import { SECRET } from './secret.js';

export default createScriptedApp(SECRET);
