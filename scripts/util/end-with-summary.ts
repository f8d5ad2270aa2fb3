/**
 * Every output mode ends with its summary, also on failure: a run that throws (bad input found first, a bug
 * midway) still writes its summary, saying why it stopped, before the error goes on to the entry point (which
 * prints it and exits with its code, unchanged). A reader of `--output json` always gets its last line.
 */

/** Why a run stopped, for a summary's `error`: the first line of the error's message. */
export function whyStopped(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

/** Runs `fn`; when it throws, `end(why)` writes the summary first (why: whyStopped), then the error is rethrown. */
export async function endWithSummary<T>(fn: () => Promise<T>, end: (why: string) => void | Promise<void>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    await end(whyStopped(err));
    throw err;
  }
}
