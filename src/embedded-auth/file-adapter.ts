import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { EmbeddedStateFile } from './embedded-state-file.js';

/** oidc-provider's storage interface over the state file; one instance per model (Client, Grant, ...). */
export class FileAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly state: EmbeddedStateFile,
  ) {}

  private key(id: string): string {
    return `${this.model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    this.state.set(this.key(id), { payload: { ...payload }, expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : null });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.state.get(this.key(id))?.payload as AdapterPayload | undefined;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    for (const [key] of this.state.entries()) {
      if (!key.startsWith(`${this.model}:`)) continue;
      const payload = this.state.get(key)?.payload;
      if (payload?.uid === uid) return payload as AdapterPayload;
    }
    return undefined;
  }

  async findByUserCode(): Promise<undefined> {
    // The device flow is not enabled.
    return undefined;
  }

  async consume(id: string): Promise<void> {
    const record = this.state.get(this.key(id));
    if (record) this.state.set(this.key(id), { ...record, payload: { ...record.payload, consumed: Math.floor(Date.now() / 1000) } });
  }

  async destroy(id: string): Promise<void> {
    this.state.delete([this.key(id)]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const members = [...this.state.entries()].filter(([, record]) => record.payload.grantId === grantId).map(([key]) => key);
    this.state.delete(members);
  }
}
