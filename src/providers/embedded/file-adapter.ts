import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { EmbeddedStateFile } from './embedded-state-file.js';

/**
 * How long a rotated refresh token still answers. oidc-provider rotates public clients' refresh
 * tokens and, on seeing a used one again, revokes the whole grant (reuse detection). Clients such
 * as Claude refresh twice at once, and any client may retry a refresh whose answer it lost, which
 * signed users out. OAuth 2.1 §4.3.1 asks that public clients' refresh tokens be rotated (or
 * sender-constrained), so we keep rotation and reuse detection and allow a short grace period
 * instead, as Okta and Auth0 do: long enough for a concurrent call or a quick retry, short enough
 * that a token replayed later still revokes the grant.
 */
export const REFRESH_TOKEN_REUSE_SECONDS = 30;

/** oidc-provider's storage interface over the state file; one instance per model (Client, Grant, ...). */
export class FileAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly state: EmbeddedStateFile,
    /** Epoch milliseconds, for the refresh-token reuse window. */
    private readonly now: () => number,
  ) {}

  private key(id: string): string {
    return `${this.model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    this.state.set(this.key(id), {
      payload: { ...payload },
      expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : null,
    });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const payload: AdapterPayload | undefined = this.state.get(this.key(id))?.payload;
    // Within the window a used refresh token looks unused, so it is rotated again rather than treated as stolen.
    if (
      this.model === 'RefreshToken' &&
      payload?.consumed !== undefined &&
      this.epochSeconds() - Number(payload.consumed) < REFRESH_TOKEN_REUSE_SECONDS
    )
      return { ...payload, consumed: undefined };
    return payload;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    for (const [key] of this.state.entries()) {
      if (!key.startsWith(`${this.model}:`)) continue;
      const payload = this.state.get(key)?.payload;
      if (payload?.uid === uid) return payload;
    }
    return undefined;
  }

  async findByUserCode(): Promise<undefined> {
    // The device flow is not enabled.
    return undefined;
  }

  async consume(id: string): Promise<void> {
    const record = this.state.get(this.key(id));
    // The first use starts the reuse window; a reuse within it must not extend it.
    if (record && record.payload.consumed === undefined)
      this.state.set(this.key(id), { ...record, payload: { ...record.payload, consumed: this.epochSeconds() } });
  }

  private epochSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.state.delete([this.key(id)]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const members = [...this.state.entries()]
      .filter(([, record]) => record.payload.grantId === grantId)
      .map(([key]) => key);
    this.state.delete(members);
  }
}
