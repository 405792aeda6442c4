import type { Account } from 'oidc-provider';

const ACCOUNT_PREFIX = 'dev_';

/** A development user name: lower-case letters, digits, dots, dashes and underscores. */
export function normalizeUserName(input: string): string | undefined {
  const name = input.trim().toLowerCase();
  return /^[a-z0-9][a-z0-9._-]{0,39}$/.test(name) ? name : undefined;
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
