/**
 * What `kubelab class status` shows: each student's last class run (the command, when, and its board row), kept in
 * <class state>/status.json. A run updates the students it ran; the others keep their last entry.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BoardRow } from './board.js';

export interface StudentStatus {
  readonly command: string;
  /** ISO time the run started. */
  readonly at: string;
  readonly row: BoardRow;
}

export type ClassStatus = Record<string, StudentStatus>;

export const statusFile = (stateDir: string): string => join(stateDir, 'status.json');

/** The recorded status (empty when no class run has ended yet). */
export async function readStatus(stateDir: string): Promise<ClassStatus> {
  try {
    return JSON.parse(await readFile(statusFile(stateDir), 'utf8')) as ClassStatus;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
}

/** Records the rows of a run (replacing those students' entries), written whole through a rename. */
export async function recordStatus(stateDir: string, command: string, at: Date, rows: readonly BoardRow[]): Promise<ClassStatus> {
  const status = await readStatus(stateDir);
  for (const row of rows) status[row.student] = { command, at: at.toISOString(), row };
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const tmp = `${statusFile(stateDir)}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(status, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, statusFile(stateDir));
  return status;
}
