import { loadAppConfig } from '../../src/config/app-config.js';
import { ConfigurationError } from '../../src/config/environment.js';

/** The problems loading this environment reports; fails the test if it loads. */
export function configurationProblems(env: Record<string, string>): string[] {
  try {
    loadAppConfig(env);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}
