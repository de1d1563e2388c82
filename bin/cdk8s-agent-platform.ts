#!/usr/bin/env node
/**
 * Command-line entry point of cdk8s-agent-platform (`validate` and its
 * options are described by `cdk8s-agent-platform --help`).
 */
import { runCli } from '../lib/validation/cli.js';

// exitCode rather than process.exit(), so buffered output to a pipe is flushed first.
process.exitCode = runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
