import { Module } from '@nestjs/common';
import { ClerkBackendApi } from './clerk-backend-api.js';
import { clerkClientProvider } from './clerk-client.provider.js';

/** Clerk's Backend API, for token verification and user reads. */
@Module({ providers: [clerkClientProvider, ClerkBackendApi], exports: [ClerkBackendApi] })
export class ClerkModule {}
