/** Polls `probe` until it returns a value (not undefined/false) or the deadline passes. */
export async function waitFor<T>(probe: () => Promise<T | undefined | false>, { timeoutMs = 30_000, everyMs = 100, what = 'condition' } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
