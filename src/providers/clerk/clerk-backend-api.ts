import type { ClerkClient, User } from '@clerk/backend';
import { isClerkAPIResponseError } from '@clerk/backend/errors';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { authConfig } from '../../config/namespaces.js';
import { UpstreamUnavailableError } from '../../errors/errors.js';
import { Metrics, type UpstreamOutcome } from '../../metrics/metrics.js';
import { stopwatch } from '../../metrics/stopwatch.js';
import { CLERK_CLIENT } from './clerk-client.provider.js';

const UPSTREAM = 'Clerk Backend API';

/** `@clerk/backend` does not export this resource's class by name. */
export type ClerkOpaqueTokenAnswer = Awaited<ReturnType<ClerkClient['idPOAuthAccessToken']['verify']>>;

const upstreamFailure = (message: string): UpstreamUnavailableError => new UpstreamUnavailableError(UPSTREAM, message);

const unreadableAnswer = (operation: string): UpstreamUnavailableError =>
  upstreamFailure(
    `Clerk's answer while trying to ${operation} could not be read: ` +
      'the body was cut short or was not the JSON Clerk sends.',
  );

/** What our verifier reads from Clerk's answer; anything else means the body was not Clerk's. */
function isOpaqueTokenAnswer(answer: unknown): answer is ClerkOpaqueTokenAnswer {
  if (typeof answer !== 'object' || answer === null) return false;
  const { subject, clientId, scopes } = answer as Partial<Record<'subject' | 'clientId' | 'scopes', unknown>>;
  const hasScopes = Array.isArray(scopes) && scopes.every((scope) => typeof scope === 'string');
  return typeof subject === 'string' && subject !== '' && typeof clientId === 'string' && hasScopes;
}

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
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
    private readonly metrics: Metrics,
  ) {}

  async verifyOpaqueToken(token: string): Promise<ClerkOpaqueTokenAnswer | null> {
    const verified = await this.call('verify an OAuth access token', () =>
      this.clerk.idPOAuthAccessToken.verify(token),
    );
    if (verified === null) return null;
    if (!isOpaqueTokenAnswer(verified)) throw unreadableAnswer('verify an OAuth access token');
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
        () =>
          reject(
            new UpstreamUnavailableError(
              UPSTREAM,
              `Clerk did not answer within ${this.auth.upstreamTimeoutMs} ms.`,
              true,
            ),
          ),
        this.auth.upstreamTimeoutMs,
      );
    });
    try {
      return await Promise.race([request(), deadline]);
    } catch (error) {
      if (error instanceof UpstreamUnavailableError) throw error;
      if (isClerkAPIResponseError(error)) {
        if (error.status === 404) return null;
        if (error.status === 401 || error.status === 403) {
          this.logger.error(
            `Clerk refused our secret key while trying to ${operation}: check CLERK_SECRET_KEY and CLERK_API_URL.`,
          );
          throw new UpstreamUnavailableError(UPSTREAM, 'The server could not authenticate to Clerk.');
        }
        // The SDK reports a failed connection without a status, and a body it could not read
        // under the 2xx status it came with.
        if (error.status === undefined)
          throw upstreamFailure(`No answer came from Clerk while trying to ${operation}: the connection failed.`);
        if (error.status < 300) throw unreadableAnswer(operation);
        throw upstreamFailure(`Clerk answered HTTP ${error.status} while trying to ${operation}.`);
      }
      throw new UpstreamUnavailableError(
        UPSTREAM,
        `Clerk could not be reached to ${operation}: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      clearTimeout(timer);
    }
  }
}
