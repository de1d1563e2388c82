/**
 * An error of this library whose printed form is its message alone: bad
 * construct props, or a synth that verification failed. `stack` holds the
 * message without frames, so a program that does not catch it prints the
 * report, not this library's call stack.
 */
export class ReportedError extends Error {
  /**
   * @param details properties of the error kept out of its printed form
   *   (an uncaught error is printed with its enumerable properties).
   */
  constructor(message: string, details: Readonly<Record<string, unknown>> = {}) {
    super(message);
    const hidden = { stack: message, name: new.target.name, ...details };
    for (const [key, value] of Object.entries(hidden)) Object.defineProperty(this, key, { value, writable: true, configurable: true, enumerable: false });
  }
}
