import { Module } from '@nestjs/common';
import { MailService } from './mail.service.js';
import { NotesController } from './notes.controller.js';
import { WebhooksService } from './webhooks.service.js';

@Module({ controllers: [NotesController], providers: [MailService, WebhooksService] })
export class AppModule {}
