import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { mcpConfig } from '../../config/namespaces.js';
import { authorizationServerRules, omitsOfflineAccess } from '../../doctor/checks/authorization-server-rules.js';
import type { CheckResult } from '../../doctor/report.js';
import { AuthorizationServer } from '../provider-seam.js';
import { AuthorizationServerMetadata } from './authorization-server-metadata.js';

/** One line for a log or a readiness detail: the check, what was seen, the fix. */
export const describeProblem = (check: CheckResult): string => `${check.id}: ${check.seen}. Fix: ${check.fix ?? ''}`;

/**
 * The parts of `doctor` the server can run on its own configuration: its scopes against what its
 * issuer supports, registration, PKCE, public clients. An issuer that cannot serve the configured
 * scopes otherwise starts "ready" and fails the first client at registration. Run at start (a
 * warning names each problem and its fix) and by readiness.
 */
@Injectable()
export class ConfigurationCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger(ConfigurationCheck.name);
  /** The problems last logged, so a lasting one is logged once, not on every probe. */
  private logged = '';

  constructor(
    private readonly metadata: AuthorizationServerMetadata,
    private readonly server: AuthorizationServer,
    @Inject(mcpConfig.KEY) private readonly mcp: ConfigType<typeof mcpConfig>,
  ) {}

  onApplicationBootstrap(): void {
    // An issuer inside this process is not listening yet; readiness checks it once it is.
    if (!this.server.reachableAtStart) return;
    // A metadata failure is logged where it is fetched; readiness reports it.
    this.run().catch(() => undefined);
  }

  async run(): Promise<CheckResult[]> {
    const document = await this.metadata.get('oauth-authorization-server');
    const checks = [
      ...authorizationServerRules(document, this.server.issuer, this.mcp.scopes, 'MCP_SCOPES', 'the configured issuer'),
      omitsOfflineAccess(this.mcp.scopes, 'MCP_SCOPES'),
    ];
    this.logChanges(checks.filter((check) => check.status === 'warn' || check.status === 'fail'));
    return checks;
  }

  private logChanges(problems: CheckResult[]): void {
    const key = problems.map(describeProblem).join('\n');
    if (key === this.logged) return;
    if (problems.length === 0)
      this.logger.log(`The configuration passes its checks against ${this.server.issuer} again`);
    for (const problem of problems)
      this.logger.warn(`Configuration check failed against ${this.server.issuer}: ${describeProblem(problem)}`);
    this.logged = key;
  }
}
