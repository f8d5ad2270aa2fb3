import { KubelabError } from '../util/errors.js';

/** A step failed on a host: carries what was being done and a tail of the command's stderr (exit code 1). */
export class StepError extends KubelabError {
  constructor(message: string, hint?: string) {
    super(message, hint, 1);
    this.name = 'StepError';
  }
}

/** Last lines of a command's output, for error messages (the full output goes to the host log). */
export function tail(text: string, lines = 5): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}
