import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/client';
import { MemoryOAuthClient } from './oauth-browser.js';

/**
 * The in-memory OAuth client for the SDK 2.x client: it also keeps the discovery state the SDK
 * records at the redirect, so the callback leg can check it returns to the same authorization
 * server (SEP-2352), as a real client must.
 */
export class ModernMemoryOAuthClient extends MemoryOAuthClient implements OAuthClientProvider {
  private savedDiscovery?: OAuthDiscoveryState;

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.savedDiscovery = state;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.savedDiscovery;
  }
}
