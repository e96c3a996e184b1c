import type { Figures } from './figures.js';
import type { Stack } from './stack.js';

/**
 * Every line every process of every stack wrote, searched for every secret that stack was given: the webhook token,
 * the HMAC secret, the vendor client secrets and the Slack token. Also counts the lines searched, so an empty
 * search cannot pass as a clean one.
 */
export function checkLogSecrets(figures: Figures, stacks: readonly Stack[], log: (line: string) => void): void {
  let lines = 0;
  let leaks = 0;
  for (const stack of stacks) {
    for (const process of stack.processes) {
      for (const line of process.lines) {
        lines += 1;
        const leaked = stack.secrets.filter((secret) => line.includes(secret));
        if (leaked.length > 0) {
          leaks += 1;
          log(`${process.name} logged a secret: ${line.slice(0, 300).replaceAll(leaked[0] ?? '', '<SECRET>')}`);
        }
      }
    }
  }
  figures.atLeast('log lines searched', lines, 1_000);
  figures.exactly('log lines carrying a secret', leaks, 0);
}

/** A line of a printed stack trace (`    at fn (file:line:col)`): an error dumped rather than logged as one JSON line. */
const STACK_FRAME = /^\s+at \S.*:\d+:\d+\)?$/;

/** Errors reach the logs as JSON lines, never as multi-line dumps (ioredis' and BullMQ's included). */
export function checkErrorDumps(figures: Figures, stacks: readonly Stack[], log: (line: string) => void): void {
  let frames = 0;
  for (const stack of stacks) {
    for (const process of stack.processes) {
      const dumped = process.lines.filter((line) => STACK_FRAME.test(line));
      if (dumped.length > 0) log(`${process.name} printed ${dumped.length} stack-trace lines, e.g. ${dumped[0]?.trim()}`);
      frames += dumped.length;
    }
  }
  figures.exactly('stack-trace lines printed outside JSON', frames, 0);
}
