// A closed-loop HTTP load generator for the runtime: a fixed number of
// connections, one request in flight on each, until `until()` is true. It
// uses undici, which honours `connection: close` as proxies and real clients
// do (autocannon reuses a socket the server is closing, so it cannot measure
// a drain). Every outcome is counted: statuses, errors by code, latencies.
import { Pool } from 'undici';

/**
 * Sends POST `path` with JSON `body` to `origin` (loopback only) until
 * `until()` returns true, then waits for the requests in flight.
 */
export async function closedLoopLoad({ origin, path, body, connections, until }) {
  if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(origin)) throw new Error(`the load generator sends to loopback only, got ${origin}`);
  const pool = new Pool(origin, { connections, pipelining: 1 });
  const stats = { requests: 0, statuses: {}, errors: {}, latenciesMs: [] };
  const payload = JSON.stringify(body);
  const worker = async () => {
    while (!until()) {
      const started = performance.now();
      try {
        const res = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body: payload });
        await res.body.text();
        stats.statuses[res.statusCode] = (stats.statuses[res.statusCode] ?? 0) + 1;
        stats.latenciesMs.push(performance.now() - started);
      } catch (err) {
        const code = err.code ?? err.name ?? 'error';
        stats.errors[code] = (stats.errors[code] ?? 0) + 1;
      }
      stats.requests++;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  await pool.close();
  return stats;
}

/** The `q` quantile (0..1) of `values`, nearest rank. */
export function quantile(values, q) {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
}
