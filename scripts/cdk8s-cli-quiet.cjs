// Preloaded into the cdk8s CLI by `npm run synth` (NODE_OPTIONS=--require).
// When the app fails, it has already printed its report (scripts/synth.mjs);
// the CLI then prints the stack trace of its own "returned a non-zero exit
// code" error, which says nothing more. This prints that one error as its
// message alone. Every other error keeps its stack trace. (The CLI needs
// stack traces of its own: yargs reads its caller's file from one.)
'use strict';
const APP_FAILED = /^command ".*" at .* returned a non-zero exit code \d+$/;
const previous = Error.prepareStackTrace;
Error.prepareStackTrace = (error, frames) => {
  if (error instanceof Error && APP_FAILED.test(error.message)) return `${error.name}: ${error.message}`;
  if (previous) return previous(error, frames);
  return `${String(error)}${frames.map((f) => `\n    at ${String(f)}`).join('')}`;
};
