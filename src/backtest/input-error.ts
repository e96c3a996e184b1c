/**
 * Telemetry or a request file that cannot be read as given. The CLI exits 2 with this message, which names the
 * file and, where there is one, the line (or the row of a JSON document), so the user can open it there.
 */
export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly line?: number,
  ) {
    super(`${file}${line === undefined ? '' : ` line ${line}`}: ${problem}`);
    this.name = 'InputError';
  }
}
