import type { ConfigType } from '@nestjs/config';
import { ConfigurationError, validateEnvironment, type Environment, type RawEnvironment } from './environment.js';
import { CONFIG_NAMESPACES } from './namespaces.js';

export { frontendApiHostFromPublishableKey } from './namespaces.js';

type Namespace = (typeof CONFIG_NAMESPACES)[number];

/** Every configuration namespace by name: what {@link loadAppConfig} returns and ConfigModule registers. */
export type AppConfig = { readonly [N in Namespace as N['namespace']]: ConfigType<N> };

/** Checks that only make sense across variables, and the production safety rules. */
function checkConsistency(config: AppConfig, env: Environment): void {
  const problems: string[] = [];
  const { server, auth, clerk } = config;
  if (server.isProduction) {
    if (!env.PUBLIC_BASE_URL)
      problems.push(
        'PUBLIC_BASE_URL must be set when NODE_ENV=production: the https origin clients use, e.g. https://mcp.example.com',
      );
    else if (!server.publicBaseUrl.startsWith('https://'))
      problems.push(
        'PUBLIC_BASE_URL must use https when NODE_ENV=production (OAuth resource identifiers are https URLs)',
      );
    if (auth.provider === 'embedded' && env.ALLOW_EMBEDDED_AUTH !== 'true')
      problems.push(
        'AUTH_PROVIDER=embedded is a development sign-in where anyone can be anyone; it is refused when NODE_ENV=production. Set CLERK_SECRET_KEY and CLERK_PUBLISHABLE_KEY (or AUTH_PROVIDER=oidc with OIDC_ISSUER_URL), or ALLOW_EMBEDDED_AUTH=true for a demo',
      );
    if (auth.provider === 'clerk' && !auth.issuer.startsWith('https://'))
      problems.push('CLERK_FRONTEND_API_URL must use https when NODE_ENV=production');
    if (clerk && !clerk.apiUrl.startsWith('https://'))
      problems.push('CLERK_API_URL must use https when NODE_ENV=production');
    if (auth.provider === 'oidc' && !auth.issuer.startsWith('https://'))
      problems.push('OIDC_ISSUER_URL must use https when NODE_ENV=production');
    if (auth.audienceMode === 'off')
      problems.push(
        'AUTH_AUDIENCE_MODE=off is refused when NODE_ENV=production: use when-present (accepts tokens without aud) or strict',
      );
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
}

/**
 * The one entry point from raw variables to validated, typed configuration: the one schema is
 * checked once, every namespace is built from it, then the rules across variables run.
 */
export function loadAppConfig(raw: RawEnvironment): AppConfig {
  const env = validateEnvironment(raw);
  const config = Object.fromEntries(
    CONFIG_NAMESPACES.map((namespace) => [namespace.namespace, namespace(env)]),
  ) as AppConfig;
  checkConsistency(config, env);
  return config;
}
