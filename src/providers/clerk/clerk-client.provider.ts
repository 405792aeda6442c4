import { createClerkClient, type ClerkClient } from '@clerk/backend';
import type { Provider } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { clerkConfig } from '../../config/namespaces.js';

/** Injection token for the `@clerk/backend` client, built once from configuration. */
export const CLERK_CLIENT = Symbol('CLERK_CLIENT');

export const clerkClientProvider: Provider<ClerkClient> = {
  provide: CLERK_CLIENT,
  inject: [clerkConfig.KEY],
  useFactory: (clerk: ConfigType<typeof clerkConfig>): ClerkClient => {
    if (!clerk) throw new Error('The Clerk provider is only used with AUTH_PROVIDER=clerk.');
    return createClerkClient({
      secretKey: clerk.secretKey,
      publishableKey: clerk.publishableKey,
      apiUrl: clerk.apiUrl,
      // Development keys would otherwise post usage events to Clerk's telemetry host.
      telemetry: { disabled: true },
    });
  },
};
