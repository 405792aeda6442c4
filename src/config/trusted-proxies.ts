import { isIP } from 'node:net';
import { ValidateBy } from 'class-validator';
import type { Request } from 'express';

/**
 * Express's names for address ranges (proxy-addr): 127.0.0.1/8 and ::1, 169.254.0.0/16 and fe80::/10,
 * 10/8, 172.16/12, 192.168/16 and fc00::/7.
 */
const KEYWORDS = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** Splits `TRUSTED_PROXIES` into the entries Express's `trust proxy` setting takes; empty trusts no proxy. */
export function parseTrustedProxies(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

function isTrustedProxyEntry(entry: string): boolean {
  if (KEYWORDS.has(entry)) return true;
  const [address, prefix, extra] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/**
 * Checked here rather than left to Express, which would throw at start with a message that does
 * not name the variable.
 */
export function TrustedProxyList(): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTrustedProxyList',
      validator: {
        validate: (value: unknown): boolean =>
          typeof value === 'string' && parseTrustedProxies(value).every(isTrustedProxyEntry),
      },
    },
    {
      message:
        'must be a comma-separated list of proxy addresses: IPs, CIDR ranges (10.0.0.0/8) or loopback, linklocal, uniquelocal',
    },
  );
}

/**
 * The client's address as Express's `request.ip` gives it under TRUSTED_PROXIES. With no proxy
 * trusted that is the socket's own address, read directly: Express works `ip` out through
 * proxy-addr, parsing X-Forwarded-For, on every read.
 */
export function clientAddressOf(request: Request, behindProxies: boolean): string | undefined {
  return behindProxies ? request.ip : request.socket.remoteAddress;
}
