// A logger whose every line is kept, for tests that read what a service logs.
import { Writable } from 'node:stream';
import { pino } from 'pino';

export function capturedLog(): { log: pino.Logger; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), text: () => chunks.join('') };
}
