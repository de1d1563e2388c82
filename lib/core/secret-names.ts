/**
 * Whether an environment variable name looks like it holds a secret
 * (`DB_PASSWORD`, `JWT_SECRET`, `OPENAI_API_KEY`, `TLS_PRIVATE_KEY`), so a
 * literal value under it is refused. Names that describe a secret without
 * holding one (`JWT_SECRET_LENGTH`, `PASSWORD_FILE`, `TOKEN_TTL`) are not.
 */
export function looksLikeSecretName(name: string): boolean {
  const upper = name.toUpperCase();
  if (/(_|^)(LENGTH|LEN|FILE|PATH|DIR|TTL|EXPIRY|EXPIRES|TIMEOUT|ROTATION_DAYS|ENABLED|MIN_LENGTH|HEADER|NAME|ALGORITHM|ALG|URL_PATH|ID)$/.test(upper)) return false;
  return /(^|_)(PASSWORD|PASSWD|PASS|SECRET|TOKEN|API_KEY|APIKEY|PRIVATE_KEY|SECRET_KEY|ACCESS_KEY|CREDENTIALS?|AUTH_KEY|SIGNING_KEY|CLIENT_SECRET|DSN)$/.test(upper);
}
