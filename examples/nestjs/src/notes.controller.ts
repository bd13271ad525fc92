import { Body, Controller, Post } from '@nestjs/common';

/** An ordinary JSON route: Nest's JSON body parsing still serves the rest of the app. */
@Controller('notes')
export class NotesController {
  @Post()
  create(@Body() note: { text?: unknown }): { saved: { text?: unknown } } {
    return { saved: note };
  }
}
