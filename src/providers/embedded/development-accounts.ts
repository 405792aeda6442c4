import type { Account } from 'oidc-provider';

const ACCOUNT_PREFIX = 'dev_';

/**
 * What a development user name may be, as the sign-in page's `pattern` attribute: browsers compile
 * it anchored with the v flag, where a bare "-" in a class is invalid and the check silently skipped.
 * The server compiles the same text, so the page and the server refuse the same names.
 */
export const USER_NAME_PATTERN = String.raw`[A-Za-z0-9][A-Za-z0-9._\-]{0,39}`;
export const USER_NAME_RULE =
  'Use letters, digits, dots, dashes or underscores (up to 40), starting with a letter or digit.';
const USER_NAME = new RegExp(`^(?:${USER_NAME_PATTERN})$`, 'v');

/** A development user name as stored: trimmed and lower-cased; undefined if it breaks {@link USER_NAME_PATTERN}. */
export function normalizeUserName(input: string): string | undefined {
  const name = input.trim();
  return USER_NAME.test(name) ? name.toLowerCase() : undefined;
}

export const accountIdFor = (userName: string): string => `${ACCOUNT_PREFIX}${userName}`;

/** Development users exist by name alone; their claims are derived from it. */
export function findDevelopmentAccount(accountId: string): Account | undefined {
  if (!accountId.startsWith(ACCOUNT_PREFIX)) return undefined;
  const userName = normalizeUserName(accountId.slice(ACCOUNT_PREFIX.length));
  if (!userName) return undefined;
  const givenName = userName.charAt(0).toUpperCase() + userName.slice(1).split(/[._-]/)[0];
  return {
    accountId,
    claims: async () => ({
      sub: accountId,
      name: `${givenName} (development)`,
      given_name: givenName,
      family_name: '(development)',
      preferred_username: userName,
      email: `${userName}@example.test`,
      email_verified: true,
    }),
  };
}
