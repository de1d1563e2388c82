import { describe, expect, it } from 'vitest';
import { looksLikeSecretName } from '../../lib/index.js';

describe('looksLikeSecretName', () => {
  it.each([
    'DB_PASSWORD', 'PGPASSWORD', 'REDIS_PASSWD', 'JWT_SECRET', 'SECRET_KEY_BASE', 'JWT_SIGNING_SECRET_V2', 'SKREAVER_JWT_SECRET',
    'GH_TOKEN', 'SPLUNK_HEC_TOKEN', 'AUTHTOKEN', 'OPENAI_API_KEY', 'DATADOG_API_KEY', 'APIKEY', 'TLS_PRIVATE_KEY', 'PRIVATE_KEY_PEM',
    'ENCRYPTION_KEY', 'STRIPE_KEY', 'AWS_SECRET_ACCESS_KEY', 'OIDC_CLIENT_SECRET', 'LDAP_BIND_PASSWORD', 'GCP_CREDENTIALS',
    'PASSWORD_PEPPER', 'VALKEY_DSN', 'GPG_PASSPHRASE', 'db-password',
  ])('flags %s', (name) => {
    expect(looksLikeSecretName(name)).toBe(true);
  });

  it.each([
    'WEAVER_REQUEST_MAX_TOKENS', 'PUBLIC_KEY', 'JWT_PUBLIC_KEY', 'JWT_SECRET_LENGTH', 'PASSWORD_FILE', 'PASSWORD_MIN_LENGTH', 'TOKEN_TTL',
    'AWS_ACCESS_KEY_ID', 'CACHE_KEY_PREFIX', 'SECRET_ROTATION_DAYS', 'TOKEN_URL', 'API_KEY_HEADER', 'RUST_LOG', 'DATABASE_URL',
    'KEYCLOAK_REALM', 'MONKEY', 'SKREAVER_SECURITY_CONFIG_PATH', '',
  ])('leaves %s', (name) => {
    expect(looksLikeSecretName(name)).toBe(false);
  });
});
