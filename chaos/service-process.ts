import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../test/helpers/wait.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/** The entry points under src/bin, and the log line each prints once it is ready. */
const ENTRIES = {
  api: 'API listening',
  worker: 'worker started',
  'all-in-one': 'worker started',
} as const;
export type Entry = keyof typeof ENTRIES;

/**
 * One of the product's processes, run exactly as an operator runs it (src/bin/<entry>.ts through tsx), that a
 * scenario can kill -9 and start again. Every line it writes, across restarts, is kept for the log checks;
 * an exit nobody asked for is counted as a crash.
 */
export class ServiceProcess {
  readonly lines: string[] = [];
  crashes = 0;
  starts = 0;
  private child: ChildProcess | undefined;
  private readyLines = 0;

  constructor(
    readonly name: string,
    private readonly entry: Entry,
    private readonly env: Record<string, string>,
  ) {}

  /** Starts the process and waits for its ready line. */
  async start(timeoutMs = 90_000): Promise<void> {
    if (this.child) throw new Error(`${this.name} is already running`);
    const readyBefore = this.readyLines;
    const child = spawn(process.execPath, ['--import', 'tsx', `src/bin/${this.entry}.ts`], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.starts += 1;
    for (const stream of [child.stdout, child.stderr]) {
      let pending = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        pending += chunk;
        const parts = pending.split('\n');
        pending = parts.pop() ?? '';
        for (const line of parts) this.record(line);
      });
      stream?.on('end', () => {
        if (pending) this.record(pending);
      });
    }
    child.once('exit', () => {
      if (this.child === child) {
        this.crashes += 1;
        this.child = undefined;
      }
    });
    await waitFor(
      async () => {
        if (this.child !== child) throw new Error(`${this.name} exited while starting: ${this.lines.slice(-5).join(' | ')}`);
        return this.readyLines > readyBefore;
      },
      { timeoutMs, everyMs: 50, what: `${this.name} to start` },
    );
  }

  /** SIGKILL: no shutdown code runs, as when a container or host dies. Resolves once the process is gone. */
  async kill9(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM, the orderly shutdown; SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.signal('SIGTERM');
    clearTimeout(timer);
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }

  private record(line: string): void {
    this.lines.push(line);
    if (line.includes(ENTRIES[this.entry])) this.readyLines += 1;
  }
}
