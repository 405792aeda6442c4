import { createClerkClient, type ClerkClient } from '@clerk/backend';
import type { Provider } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';

/** Injection token for the `@clerk/backend` client, built once from configuration. */
export const CLERK_CLIENT = Symbol('CLERK_CLIENT');

export const clerkClientProvider: Provider<ClerkClient> = {
  provide: CLERK_CLIENT,
  inject: [AppConfig],
  useFactory: (config: AppConfig): ClerkClient => {
    if (!config.clerk) throw new Error('The Clerk module is only used with AUTH_PROVIDER=clerk.');
    return createClerkClient({
      secretKey: config.clerk.secretKey,
      publishableKey: config.clerk.publishableKey,
      apiUrl: config.clerk.apiUrl,
      // Development keys would otherwise post usage events to Clerk's telemetry host.
      telemetry: { disabled: true },
    });
  },
};
