/** A mistake in how mmkit was called: printed as "mmkit: <message>" with exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
