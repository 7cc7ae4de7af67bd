/** A mistake in how mmkit was called: printed as "mmkit: <message>" with exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An argument as a message quotes it: in single quotes, at most 60 characters, control characters escaped. */
export function quoteArg(text: string | undefined): string {
  const arg = text ?? '';
  const cut = arg.length > 60 ? `${arg.slice(0, 60)}...` : arg;
  // eslint-disable-next-line no-control-regex
  return `'${cut.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}'`;
}
