import { USER_NAME_PATTERN, USER_NAME_RULE } from './development-accounts.js';

const escapeHtml = (value: string): string =>
  value.replace(
    /[&<>"']/g,
    (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[character] as string,
  );

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}
.banner{background:#fff3cd;border:1px solid #e0c36a;padding:.6rem .8rem;border-radius:.4rem;font-size:.9rem}
input,button{font:inherit;padding:.5rem .7rem;margin:.3rem 0}button{cursor:pointer}ul{padding-left:1.2rem}
.secondary{background:none;border:1px solid #999}.error{color:#a00}</style></head>
<body><p class="banner">Development sign-in: anyone can sign in as any user name. Not for real users.</p>
<h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

/** The sign-in form; `refusedName` shows it again, with the reason, after the server refused that name. */
export function signInPage(
  action: string,
  clientName: string,
  suggestions: readonly string[],
  refusedName?: string,
): string {
  const choices = suggestions
    .map(
      (name) =>
        `<button type="submit" name="username" value="${escapeHtml(name)}" class="secondary">${escapeHtml(name)}</button>`,
    )
    .join(' ');
  const refusal =
    refusedName === undefined
      ? ''
      : `<p role="alert" class="error">That user name cannot be used. ${escapeHtml(USER_NAME_RULE)}</p>`;
  return page(
    'Sign in',
    `<p><strong>${escapeHtml(clientName)}</strong> wants to use the MCP server as you.</p>
<form method="post" action="${escapeHtml(action)}">${refusal}
<label>User name<br><input name="username" autocomplete="username" required \
pattern="${escapeHtml(USER_NAME_PATTERN)}" title="${escapeHtml(USER_NAME_RULE)}" \
value="${escapeHtml(refusedName ?? '')}" aria-describedby="user-name-rule" autofocus></label>
<small id="user-name-rule">${escapeHtml(USER_NAME_RULE)}</small><br>
<button type="submit">Sign in</button>
<p>or pick one: ${choices}</p>
</form>`,
  );
}

export interface ConsentDetails {
  clientName: string;
  userName: string;
  /** The scopes the access token will carry. */
  scopes: string[];
  resources: string[];
  /** How long a refresh token keeps the client signed in; undefined when none is issued. */
  refreshDays?: number;
}

export function consentPage(action: string, abortAction: string, details: ConsentDetails): string {
  const scopes = details.scopes.map((scope) => `<li>${escapeHtml(scope)}</li>`).join('');
  const resources = details.resources.map((resource) => `<li><code>${escapeHtml(resource)}</code></li>`).join('');
  const refresh =
    details.refreshDays === undefined
      ? ''
      : `<p>It will stay signed in for up to ${details.refreshDays} days without asking again.</p>`;
  return page(
    'Allow access?',
    `<p>Signed in as <strong>${escapeHtml(details.userName)}</strong>.</p>
<p><strong>${escapeHtml(details.clientName)}</strong> asks for:</p><ul>${scopes || '<li>no scopes</li>'}</ul>
${resources ? `<p>to call:</p><ul>${resources}</ul>` : ''}${refresh}
<form method="post" action="${escapeHtml(action)}"><button type="submit">Allow</button></form>
<form method="post" action="${escapeHtml(abortAction)}"><button type="submit" class="secondary">Deny</button></form>`,
  );
}

export function interactionErrorPage(message: string): string {
  return page('Sign-in could not continue', `<p>${escapeHtml(message)}</p><p>Start again from your MCP client.</p>`);
}
