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
