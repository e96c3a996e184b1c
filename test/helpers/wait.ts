/**
 * How much slower than a quiet machine this one may be: every deadline of the suite is multiplied by it. The defaults
 * already allow for two CPU-burning processes beside the suite; set CW_TEST_SLOWDOWN (e.g. 3) where that is not enough.
 */
export const SLOWDOWN = slowdownOf(process.env.CW_TEST_SLOWDOWN);

function slowdownOf(value: string | undefined): number {
  if (value === undefined || value === '') return 1;
  const factor = Number(value);
  if (!Number.isFinite(factor) || factor < 1) throw new Error(`CW_TEST_SLOWDOWN must be a number of at least 1, got ${value}`);
  return factor;
}

/** `ms`, as long as it may take on this machine. */
export const patience = (ms: number): number => Math.round(ms * SLOWDOWN);

/** How long one wait for a condition may take before it fails the test; a wait ends as soon as its condition holds. */
export const WAIT_MS = patience(90_000);

/** How long one test (or hook) may take: room for a few waits, each of which fails on its own deadline first. */
export const TEST_TIMEOUT_MS = patience(300_000);

/** Polls `probe` until it returns a value (not undefined/false) or the deadline passes. */
export async function waitFor<T>(probe: () => Promise<T | undefined | false>, { timeoutMs = WAIT_MS, everyMs = 100, what = 'condition' } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
