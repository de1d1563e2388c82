/**
 * Words that say a variable describes a secret without holding one, when they
 * end its name (`JWT_SECRET_LENGTH`, `PASSWORD_FILE`, `TOKEN_TTL`,
 * `AWS_ACCESS_KEY_ID`).
 */
const DESCRIPTIVE_LAST_WORDS = new Set([
  'LENGTH', 'LEN', 'FILE', 'PATH', 'DIR', 'TTL', 'EXPIRY', 'EXPIRES', 'TIMEOUT', 'DAYS', 'ENABLED', 'HEADER', 'NAME',
  'ALGORITHM', 'ALG', 'ID', 'SIZE', 'COUNT', 'MAX', 'MIN', 'URL', 'ENDPOINT', 'REF', 'VERSION', 'TYPE', 'MODE', 'FORMAT', 'PREFIX',
]);

/** Whole words that hold a secret wherever they stand in the name. */
const SECRET_WORDS = new Set(['CREDENTIAL', 'CREDENTIALS', 'PEPPER', 'APIKEY', 'PRIVATEKEY', 'DSN', 'PASSPHRASE']);

/**
 * Whether an environment variable name looks like it holds a secret, so a
 * literal value under it is refused: a word containing PASSWORD, PASSWD or
 * SECRET (`PGPASSWORD`, `SECRET_KEY_BASE`, `JWT_SIGNING_SECRET_V2`), a word
 * ending in TOKEN (`GH_TOKEN`, but not `MAX_TOKENS`), a private key
 * (`PRIVATE_KEY_PEM`), a name whose last word is KEY and not a public key
 * (`ENCRYPTION_KEY`, `STRIPE_KEY`), or CREDENTIALS, PEPPER, APIKEY, DSN,
 * PASSPHRASE. Names whose last word describes the secret rather than holding
 * it (`JWT_SECRET_LENGTH`, `PASSWORD_FILE`, `TOKEN_TTL`, `AWS_ACCESS_KEY_ID`)
 * are not. Hand-written: no library classifies variable names; the policy
 * check of secrets in argv uses the same function.
 */
export function looksLikeSecretName(name: string): boolean {
  const words = name.toUpperCase().split(/[^A-Z0-9]+/).filter((w) => w.length > 0);
  if (words.length === 0) return false;
  const last = words[words.length - 1]!;
  if (DESCRIPTIVE_LAST_WORDS.has(last)) return false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (/PASSWORD|PASSWD|SECRET/.test(w) || w.endsWith('TOKEN') || SECRET_WORDS.has(w)) return true;
    if (w === 'PRIVATE' && words[i + 1] === 'KEY') return true;
  }
  return last === 'KEY' && words[words.length - 2] !== 'PUBLIC';
}
