import { UsageError } from '../util/errors.js';

/** Reads a secret from the terminal without echoing it. */
export async function askSecret(prompt: string): Promise<string> {
  const { stdin, stderr } = process;
  stderr.write(`${prompt}: `);
  stdin.setRawMode?.(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let answer = '';
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          done();
          resolve(answer);
          return;
        }
        if (ch === '\u0003') {
          done();
          reject(new UsageError('password prompt cancelled'));
          return;
        }
        answer = ch === '\u007f' ? answer.slice(0, -1) : answer + ch;
      }
    };
    const done = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}
