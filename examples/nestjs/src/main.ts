// Run from examples/nestjs: WEBHOOK_SECRET=whsec_... PORT=3000 [MAIL_API_URL=http://…] npm start
import 'reflect-metadata';
import { webhookMiddleware } from '@hookguard/node';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { WebhooksService } from './webhooks.service.js';

// Nest's default parsers would consume every JSON body before any route sees it, and the
// signature covers the exact bytes: register them by hand, after the webhook middleware.
const app = await NestFactory.create<NestExpressApplication>(AppModule, { bodyParser: false });
app.use(webhookMiddleware(app.get(WebhooksService).receiver, { path: '/webhooks' }));
app.useBodyParser('json');
app.useBodyParser('urlencoded', { extended: true });

await app.listen(Number(process.env['PORT'] ?? 3000), '127.0.0.1');
console.log(`listening on ${await app.getUrl()}/webhooks`);
