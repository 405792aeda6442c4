import type { ClerkClient, User } from '@clerk/backend';
import { isClerkAPIResponseError } from '@clerk/backend/errors';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { UpstreamUnavailableError } from '../errors/errors.js';
import { Metrics, type UpstreamOutcome } from '../metrics/metrics.js';
import { stopwatch } from '../metrics/stopwatch.js';
import { CLERK_CLIENT } from './clerk-client.provider.js';

const UPSTREAM = 'Clerk Backend API';

/** `@clerk/backend` does not export this resource's class by name. */
export type ClerkOpaqueTokenAnswer = Awaited<ReturnType<ClerkClient['idPOAuthAccessToken']['verify']>>;

/**
 * The Clerk Backend API calls we make, through `@clerk/backend`, with a deadline and one
 * classification of failures: "Clerk says no such thing" is `null`; anything that means Clerk
 * could not answer (network, timeout, 5xx, 429, a rejected secret key, a garbled body) is an
 * {@link UpstreamUnavailableError}, so callers never mistake an outage for a bad token.
 */
@Injectable()
export class ClerkBackendApi {
  private readonly logger = new Logger(ClerkBackendApi.name);

  constructor(
    @Inject(CLERK_CLIENT) private readonly clerk: ClerkClient,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  async verifyOpaqueToken(token: string): Promise<ClerkOpaqueTokenAnswer | null> {
    const verified = await this.call('verify an OAuth access token', () => this.clerk.idPOAuthAccessToken.verify(token));
    if (verified === null) return null;
    if (typeof verified !== 'object' || typeof verified.subject !== 'string' || typeof verified.clientId !== 'string' || !Array.isArray(verified.scopes))
      throw new UpstreamUnavailableError(UPSTREAM, 'Clerk answered the token verification with an unexpected body.');
    return verified;
  }

  async getUser(userId: string): Promise<User | null> {
    return this.call('read a user', () => this.clerk.users.getUser(userId));
  }

  private async call<T>(operation: string, request: () => Promise<T>): Promise<T | null> {
    const elapsed = stopwatch();
    let outcome: UpstreamOutcome = 'error';
    try {
      const answer = await this.callWithDeadline(operation, request);
      outcome = 'success';
      return answer;
    } catch (error) {
      if (error instanceof UpstreamUnavailableError && error.timedOut) outcome = 'timeout';
      throw error;
    } finally {
      this.metrics.upstreamCall('clerk_backend_api', outcome, elapsed());
    }
  }

  private async callWithDeadline<T>(operation: string, request: () => Promise<T>): Promise<T | null> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new UpstreamUnavailableError(UPSTREAM, `Clerk did not answer within ${this.config.upstreamTimeoutMs} ms.`, true)),
        this.config.upstreamTimeoutMs,
      );
    });
    try {
      return await Promise.race([request(), deadline]);
    } catch (error) {
      if (error instanceof UpstreamUnavailableError) throw error;
      if (isClerkAPIResponseError(error)) {
        if (error.status === 404) return null;
        if (error.status === 401 || error.status === 403) {
          this.logger.error(`Clerk refused our secret key while trying to ${operation}: check CLERK_SECRET_KEY and CLERK_API_URL.`);
          throw new UpstreamUnavailableError(UPSTREAM, 'The server could not authenticate to Clerk.');
        }
        throw new UpstreamUnavailableError(UPSTREAM, `Clerk answered ${error.status} while trying to ${operation}.`);
      }
      throw new UpstreamUnavailableError(UPSTREAM, `Clerk could not be reached to ${operation}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }
}
