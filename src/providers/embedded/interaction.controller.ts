import { Body, Controller, Get, Header, Logger, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Client, Interaction } from 'oidc-provider';
import { accountIdFor, findDevelopmentAccount, normalizeUserName } from './development-accounts.js';
import {
  EmbeddedAuthorizationServer,
  INTERACTION_PATH,
  REFRESH_TOKEN_SECONDS,
} from './embedded-authorization-server.js';
import { consentPage, interactionErrorPage, signInPage } from './interaction-pages.js';

const SUGGESTED_USERS = ['alice', 'bob'];

/** The embedded server's sign-in and consent pages, plain HTML forms a browser (or a test) follows. */
@Controller(INTERACTION_PATH.slice(1))
export class InteractionController {
  private readonly logger = new Logger(InteractionController.name);

  constructor(private readonly embedded: EmbeddedAuthorizationServer) {}

  private get provider(): EmbeddedAuthorizationServer['provider'] {
    return this.embedded.provider;
  }

  @Get(':uid')
  @Header('Cache-Control', 'no-store')
  async show(@Param('uid') uid: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    await this.guarded(response, async () => {
      const interaction = await this.provider.interactionDetails(request, response);
      const { client, clientName } = await this.clientOf(interaction);
      if (interaction.prompt.name === 'login') {
        response.type('html').send(signInPage(`${INTERACTION_PATH}/${uid}/login`, clientName, SUGGESTED_USERS));
        return;
      }
      const accountId = interaction.session?.accountId ?? '';
      const { resource, scope } = interaction.params;
      // What Allow grants, as the tokens will say it: the access token's scopes, and a refresh token
      // when the client registered for one (issueRefreshToken), whatever offline_access says.
      response.type('html').send(
        consentPage(`${INTERACTION_PATH}/${uid}/confirm`, `${INTERACTION_PATH}/${uid}/abort`, {
          clientName,
          userName: accountId.replace(/^dev_/, ''),
          scopes: this.embedded.accessTokenScopes(typeof scope === 'string' ? scope : ''),
          resources: resource === undefined ? [this.embedded.resourceUrl] : [resource].flat().map(String),
          refreshDays: client?.grantTypeAllowed('refresh_token') ? REFRESH_TOKEN_SECONDS / 86400 : undefined,
        }),
      );
    });
  }

  @Post(':uid/login')
  async login(
    @Param('uid') uid: string,
    @Body() body: { username?: unknown },
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    await this.guarded(response, async () => {
      const interaction = await this.provider.interactionDetails(request, response);
      if (interaction.prompt.name !== 'login' || interaction.uid !== uid) {
        response.status(400).type('html').send(interactionErrorPage('There is no sign-in waiting here.'));
        return;
      }
      const typed = typeof body?.username === 'string' ? body.username : '';
      const userName = normalizeUserName(typed);
      if (!userName) {
        // The interaction is still open: show the form again, with the reason, rather than a dead end.
        const { clientName } = await this.clientOf(interaction);
        response
          .status(422)
          .type('html')
          .send(signInPage(`${INTERACTION_PATH}/${uid}/login`, clientName, SUGGESTED_USERS, typed));
        return;
      }
      await this.provider.interactionFinished(
        request,
        response,
        { login: { accountId: accountIdFor(userName) } },
        { mergeWithLastSubmission: false },
      );
    });
  }

  @Post(':uid/confirm')
  async confirm(@Req() request: Request, @Res() response: Response): Promise<void> {
    await this.guarded(response, async () => {
      const interaction = await this.provider.interactionDetails(request, response);
      const accountId = interaction.session?.accountId;
      if (interaction.prompt.name !== 'consent' || !accountId || !findDevelopmentAccount(accountId)) {
        response.status(400).type('html').send(interactionErrorPage('There is nothing to consent to here.'));
        return;
      }
      const details = interaction.prompt.details;
      const grant = interaction.grantId
        ? await this.provider.Grant.find(interaction.grantId)
        : new this.provider.Grant({ accountId, clientId: String(interaction.params.client_id) });
      if (!grant) throw new Error('The grant being extended no longer exists.');
      // OpenID scopes (openid, offline_access) go into the grant too, or oidc-provider would ask again; they
      // add nothing to the access token, which is why the consent page does not list them.
      const missingOIDCScope = details.missingOIDCScope as string[] | undefined;
      if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
      const missingOIDCClaims = details.missingOIDCClaims as string[] | undefined;
      if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
      const missingResourceScopes = details.missingResourceScopes as Record<string, string[]> | undefined;
      for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {}))
        grant.addResourceScope(indicator, scopes.join(' '));
      const grantId = await grant.save();
      await this.provider.interactionFinished(
        request,
        response,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
    });
  }

  @Post(':uid/abort')
  async abort(@Req() request: Request, @Res() response: Response): Promise<void> {
    await this.guarded(response, () =>
      this.provider.interactionFinished(
        request,
        response,
        { error: 'access_denied', error_description: 'The user denied the request.' },
        { mergeWithLastSubmission: false },
      ),
    );
  }

  private async clientOf(interaction: Interaction): Promise<{ client?: Client; clientName: string }> {
    const client = await this.provider.Client.find(String(interaction.params.client_id));
    return { client, clientName: client?.clientName ?? String(interaction.params.client_id) };
  }

  /** An expired or replayed interaction is a page for the person, not an error for the API filter. */
  private async guarded(response: Response, step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      this.logger.warn(`Sign-in step failed: ${error instanceof Error ? error.message : String(error)}`);
      if (response.headersSent) return;
      const message =
        error instanceof Error && 'error_description' in error
          ? String(error.error_description)
          : 'This sign-in has expired or was already used.';
      response.status(400).type('html').send(interactionErrorPage(message));
    }
  }
}
