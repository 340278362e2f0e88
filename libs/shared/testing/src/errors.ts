/** The string `code` of the error `fn` throws, or undefined when it does not throw. Errors without a code are rethrown. */
export function thrownCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'string') return code;
    throw err;
  }
  return undefined;
}
