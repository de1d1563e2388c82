import { ReportedError } from '../validation/report.js';

/** Where {@link runApp} reports, and the exit code it sets. */
export interface RunIo {
  /** Receives the failure report. @default process.stderr */
  readonly stderr?: { write(chunk: string): unknown };
  /** Called with 1 when the app fails. @default - sets process.exitCode */
  readonly setExitCode?: (code: number) => void;
}

/**
 * Builds and synthesizes an app as a program: the end of an app's main
 * module. A failure this library reports (invalid construct props, a synth
 * that verification failed) is printed as its report alone on standard
 * error, without a stack trace, and the exit code is set to 1; nothing is
 * written. Any other error is thrown as usual.
 *
 * @example
 * runApp(() => {
 *   const app = new AgentPlatformApp();
 *   new MyChart(app, 'agents');
 *   return app;
 * });
 * @returns whether the app synthesized.
 */
export function runApp(build: () => { synth(): void }, io: RunIo = {}): boolean {
  try {
    build().synth();
    return true;
  } catch (e) {
    if (!(e instanceof ReportedError)) throw e;
    (io.stderr ?? process.stderr).write(`${e.message}\n`);
    (io.setExitCode ?? ((code: number) => void (process.exitCode = code)))(1);
    return false;
  }
}
