import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';

/** An OAuthClientProvider that keeps everything in memory and remembers where it was sent to sign in. */
export class MemoryOAuthClient implements OAuthClientProvider {
  authorizationUrl?: URL;
  private client?: OAuthClientInformationMixed;
  private savedTokens?: OAuthTokens;
  private verifier?: string;

  constructor(
    readonly redirectUrl: string,
    private readonly name = 'e2e client',
  ) {}

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.name,
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.client;
  }
  saveClientInformation(client: OAuthClientInformationMixed): void {
    this.client = client;
  }
  tokens(): OAuthTokens | undefined {
    return this.savedTokens;
  }
  saveTokens(tokens: OAuthTokens): void {
    this.savedTokens = tokens;
  }
  redirectToAuthorization(url: URL): void {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }
  codeVerifier(): string {
    if (!this.verifier) throw new Error('no code verifier saved');
    return this.verifier;
  }
}

interface HtmlForm {
  action: string;
  fields: Record<string, string>;
  buttons: { name?: string; value?: string; label: string }[];
}

function parseForms(html: string): HtmlForm[] {
  return [...html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)].map(([, action, inner]) => ({
    action: action.replace(/&amp;/g, '&'),
    fields: Object.fromEntries(
      [...inner.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]*)"[^>]*value="([^"]*)"/g)].map(([, name, value]) => [
        name,
        value,
      ]),
    ),
    buttons: [...inner.matchAll(/<button([^>]*)>([^<]*)<\/button>/g)].map(([, attributes, label]) => ({
      name: /name="([^"]*)"/.exec(attributes)?.[1],
      value: /value="([^"]*)"/.exec(attributes)?.[1],
      label,
    })),
  }));
}

/** What a person does on a page: which form to send and with which fields. */
export type PageAction = (html: string, forms: HtmlForm[]) => { action: string; fields: Record<string, string> };

/** Signs in by typing a user name, then allows the consent page. */
export const signInAndAllow =
  (userName: string): PageAction =>
  (html, forms) => {
    if (/name="username"/.test(html))
      return { action: forms[0].action, fields: { ...forms[0].fields, username: userName } };
    const allow = forms.find((form) => form.buttons.some((button) => button.label === 'Allow'));
    if (!allow) throw new Error(`no Allow button on the page:\n${html}`);
    return { action: allow.action, fields: allow.fields };
  };

/**
 * Follows an authorization URL the way a browser does: real requests, redirects followed by
 * hand, cookies kept, forms submitted, until the authorization server sends it to `redirectUrl`.
 */
export async function browseToRedirect(start: URL, redirectUrl: string, act: PageAction, maxSteps = 20): Promise<URL> {
  const cookies = new Map<string, string>();
  let url = start;
  let init: RequestInit = { method: 'GET' };
  for (let step = 0; step < maxSteps; step++) {
    if (url.href.startsWith(redirectUrl)) return url;
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string>),
        Cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const index = pair.indexOf('=');
      cookies.set(pair.slice(0, index), pair.slice(index + 1));
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url);
      init = { method: 'GET' };
      continue;
    }
    const html = await response.text();
    // 422: a form shown again for the person to correct what they typed.
    if (![200, 422].includes(response.status) || !(response.headers.get('content-type') ?? '').includes('text/html'))
      throw new Error(`unexpected ${response.status} at ${url.href}: ${html.slice(0, 500)}`);
    const next = act(html, parseForms(html));
    url = new URL(next.action, url);
    init = {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(next.fields).toString(),
    };
  }
  throw new Error(`no redirect to ${redirectUrl} after ${maxSteps} steps`);
}
