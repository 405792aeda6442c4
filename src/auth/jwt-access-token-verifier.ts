import { errors, jwtVerify, type JWTPayload } from 'jose';
import { BearerChallengeError, UpstreamUnavailableError } from '../errors/errors.js';
import { stopwatch } from '../metrics/stopwatch.js';
import type { AccessTokenVerifier } from '../providers/access-token-verifier.js';
import { BoundedTtlCache } from './bounded-ttl-cache.js';
import type { Clock } from './clock.js';
import { IssuerKeySet, KeySetUnavailableError } from './issuer-key-set.js';
import { tokenCacheKey } from './token-shape.js';
import type { ProfileClaims, VerifiedIdentity } from './verified-identity.js';

/** What makes a JWT access token acceptable from one authorization server. */
export interface JwtVerificationProfile {
  issuer: string;
  algorithms: string[];
  /** RFC 9068 `typ`; when set, any other type (a Clerk session token's `JWT`) is refused. */
  requiredType?: 'at+jwt';
  /** Where the issuer publishes its keys, and the URL to fetch them from. */
  jwksUrl: () => Promise<{ published: string; fetchFrom: string }>;
  clockSkewSeconds: number;
  jwksCacheMs: number;
  /** A key-set fetch starts at most once per cooldown, whether the previous one succeeded or failed. */
  jwksRefreshCooldownMs: number;
  upstreamTimeoutMs: number;
  /** Told of every key-set fetch, for metrics. */
  onKeySetFetch: (outcome: 'success' | 'error' | 'timeout', seconds: number) => void;
  now: Clock;
}

interface AccessTokenClaims extends JWTPayload {
  client_id?: unknown;
  azp?: unknown;
  scope?: unknown;
  scp?: unknown;
}

/** Maps jose's refusals to what the client is told; anything else means the key source failed. */
function describeRejection(error: unknown): string | undefined {
  if (error instanceof errors.JWTExpired) return 'The access token has expired.';
  if (error instanceof errors.JWTClaimValidationFailed)
    return `The access token's ${error.claim} claim is not acceptable.`;
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported)
    return 'The access token is signed with an algorithm this server does not accept.';
  if (error instanceof errors.JWSSignatureVerificationFailed) return SIGNATURE_NOT_VALID;
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    return 'The access token was signed by a key the authorization server does not publish.';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'The access token is malformed.';
  return undefined;
}

/** Anything but a verdict on the token: the key set could not be had. */
function keysUnavailable(error: unknown): UpstreamUnavailableError {
  return new UpstreamUnavailableError(
    'the signing keys',
    `The signing keys could not be fetched: ${error instanceof Error ? error.message : String(error)}`,
    false,
    error instanceof KeySetUnavailableError ? error.retryAfterSeconds : undefined,
  );
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

const malformedClaim = (claim: string): BearerChallengeError =>
  BearerChallengeError.invalidToken(`The access token's ${claim} claim is not acceptable.`);

const isNonBlankString = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';
const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

type IdentityClaims = Pick<VerifiedIdentity, 'userId' | 'clientId' | 'scopes' | 'audience'>;

/** A claim that may be one string or a list of them (`scp`, `aud`); anything else is malformed. */
function stringOrList(payload: AccessTokenClaims, claim: 'scp' | 'aud'): string | string[] | undefined {
  const value: unknown = payload[claim];
  if (value === undefined || typeof value === 'string' || isStringList(value)) return value;
  throw malformedClaim(claim);
}

/**
 * The claims that say who the token speaks for, type-checked. A malformed one is the token's fault,
 * so 401 `invalid_token`: read loosely, a numeric `sub` became "no identity", and the client was
 * told to step up its scopes (403) when it should sign in again. Absent `client_id`/`azp`/scope
 * claims are allowed (issuers differ); present ones must have the types RFC 9068 and RFC 8693 give them.
 */
function identityClaims(payload: AccessTokenClaims): IdentityClaims {
  if (!isNonBlankString(payload.sub)) throw malformedClaim('sub');
  for (const claim of ['client_id', 'azp'] as const)
    if (payload[claim] !== undefined && !isNonBlankString(payload[claim])) throw malformedClaim(claim);
  if (payload.scope !== undefined && typeof payload.scope !== 'string') throw malformedClaim('scope');
  const scopes = stringOrList(payload, 'scp') ?? payload.scope ?? '';
  const audience = stringOrList(payload, 'aud') ?? [];
  return {
    userId: payload.sub,
    clientId: text(payload.client_id) ?? text(payload.azp) ?? '',
    scopes: typeof scopes === 'string' ? scopes.split(' ').filter(Boolean) : scopes,
    audience: typeof audience === 'string' ? [audience] : audience,
  };
}

/**
 * Base64url (RFC 4648 §3.5) leaves the low bits of a segment's last character unused when its
 * length is not a multiple of 4, and decoders (jose's too) ignore them, so one RSA signature has
 * up to 16 spellings that all verify. We refuse the non-canonical ones rather than canonicalise:
 * no issuer produces them, so only an altered token carries one; refusing keeps one token one
 * string wherever a token string is a key (the cache below, anything keyed by a token hash), and
 * costs a look at one character, before the cache and before any cryptography. Only the signature
 * needs the check: header and payload are signed as the exact strings sent, so respelling them
 * breaks the signature.
 */
const CANONICAL_FINAL_CHARACTER: Partial<Record<number, RegExp>> = {
  2: /[AQgw]$/,
  3: /[AEIMQUYcgkosw048]$/,
};

function hasCanonicalSignature(token: string): boolean {
  const signature = token.slice(token.lastIndexOf('.') + 1);
  const remainder = signature.length % 4;
  if (remainder === 1) return false;
  return CANONICAL_FINAL_CHARACTER[remainder]?.test(signature) ?? true;
}

function profileFromClaims(payload: JWTPayload): ProfileClaims {
  return {
    name: text(payload.name),
    givenName: text(payload.given_name),
    familyName: text(payload.family_name),
    preferredUsername: text(payload.preferred_username),
    picture: text(payload.picture),
    email: text(payload.email),
    emailVerified: typeof payload.email_verified === 'boolean' ? payload.email_verified : undefined,
  };
}

/** Tokens whose verdict is remembered, each way; the least recently used go first. */
const VERDICT_CACHE_SIZE = 10_000;
/** A refused signature is remembered for at most this long (a forged token's own expiry means nothing). */
const REFUSAL_CACHE_MS = 60_000;

const SIGNATURE_NOT_VALID = 'The access token signature is not valid.';
/** What every replay of a refused signature is told; one error, since nothing about it varies. */
const REPLAYED_SIGNATURE_REFUSAL = BearerChallengeError.invalidToken(SIGNATURE_NOT_VALID);

/** The keys a verdict was reached with: it holds as long as they are the keys in hand, unchanged and fresh. */
interface KeysJudgedWith {
  keys: IssuerKeySet;
  generation: number;
}

interface RememberedIdentity extends KeysJudgedWith {
  identity: VerifiedIdentity;
}

/**
 * Verifies JWT access tokens locally against the issuer's published keys ({@link IssuerKeySet}:
 * cached, and fetched at most once per cooldown, whether the last fetch worked or not). A client
 * repeats its token on every call, so a verified one is remembered (under its hash, never the
 * token) until it expires: the RSA check is the largest part of a request's cost. Nothing else in a
 * verdict changes with time; what can change is the keys, so a remembered verdict holds only while
 * the keys it was reached with are the keys in hand, unchanged and fresh: a key the issuer withdraws
 * stops vouching for its tokens when the key set is next fetched, exactly as for a token never seen
 * before. A token whose signature the keys in hand refused is remembered the same way, so that
 * replaying one forged token costs a hash rather than an RSA check each time: that refusal depends
 * only on the exact token string (one spelling per signature, see above) and the keys. Nothing
 * time-dependent (expiry, not-before) is remembered as a refusal.
 */
export class JwtAccessTokenVerifier implements AccessTokenVerifier {
  private keySet?: { url: string; keys: IssuerKeySet };
  private readonly verified: BoundedTtlCache<string, RememberedIdentity>;
  private readonly refusedSignatures: BoundedTtlCache<string, KeysJudgedWith>;

  constructor(private readonly profile: JwtVerificationProfile) {
    this.verified = new BoundedTtlCache(VERDICT_CACHE_SIZE, profile.now);
    this.refusedSignatures = new BoundedTtlCache(VERDICT_CACHE_SIZE, profile.now);
  }

  /**
   * Not an async function: what is remembered is answered from memory without one, and a remembered
   * refusal is handed back as a rejected promise rather than thrown (a throw was the dearest step of
   * refusing a replayed token: V8 records where each new exception is thrown).
   */
  verify(token: string): Promise<VerifiedIdentity> {
    if (!hasCanonicalSignature(token))
      return Promise.reject(
        BearerChallengeError.invalidToken(
          'The access token is malformed: its signature is not in canonical base64url.',
        ),
      );
    const key = tokenCacheKey(token);
    // Both judged against the keys in hand, before asking where the keys are published (a metadata look-up):
    // a repeated token, valid or forged, costs no more than a hash.
    return this.rememberedVerdict(key, this.stillStands) ?? this.verifyAndRemember(token, key);
  }

  /** The verdict remembered for a token, if `stands` says it holds; `undefined` when it must be reached again. */
  private rememberedVerdict(
    key: string,
    stands: (judged: KeysJudgedWith) => boolean,
  ): Promise<VerifiedIdentity> | undefined {
    const remembered = this.verified.get(key);
    if (remembered && stands(remembered)) return Promise.resolve(remembered.identity);
    const refusal = this.refusedSignatures.get(key);
    if (refusal && stands(refusal)) return Promise.reject(REPLAYED_SIGNATURE_REFUSAL);
    return undefined;
  }

  /** A verdict reached with the keys in hand: the same set, no different keys fetched since. */
  private readonly reachedWithKeysInHand = ({ keys, generation }: KeysJudgedWith): boolean =>
    keys === this.keySet?.keys && generation === keys.generation;

  /** A verdict reached with the keys in hand, which are still within their cache age. */
  private readonly stillStands = (judged: KeysJudgedWith): boolean =>
    this.reachedWithKeysInHand(judged) && judged.keys.fresh;

  private async verifyAndRemember(token: string, key: string): Promise<VerifiedIdentity> {
    const keys = await this.keys();
    // Stale keys are fetched first, so that the generation read next is the one the token is checked with.
    await keys.refreshIfStale().catch((error: unknown) => {
      throw keysUnavailable(error);
    });
    // The keys in hand are fresh now, or were fetched just now: fetched again unchanged, they leave every verdict
    // reached with them standing, so no signature is checked twice against the same keys.
    const standing = this.rememberedVerdict(key, this.reachedWithKeysInHand);
    if (standing) return standing;
    const generation = keys.generation;
    const identity = await this.verifySignatureAndClaims(token, key, keys, generation);
    // Expires with the token (exp is checked with the same leeway), so an expired token is never served from here.
    // Only when no other key set arrived during the check: the verdict belongs to the keys it was reached with.
    const expiresAtMs = ((identity.expiresAt ?? 0) + this.profile.clockSkewSeconds) * 1000;
    if (keys.generation === generation) this.verified.set(key, { identity, keys, generation }, expiresAtMs);
    return identity;
  }

  private async verifySignatureAndClaims(
    token: string,
    key: string,
    keys: IssuerKeySet,
    generation: number,
  ): Promise<VerifiedIdentity> {
    const now = this.profile.now();
    let payload: AccessTokenClaims;
    try {
      ({ payload } = await jwtVerify<AccessTokenClaims>(token, keys.getKey, {
        algorithms: this.profile.algorithms,
        issuer: this.profile.issuer,
        typ: this.profile.requiredType,
        clockTolerance: this.profile.clockSkewSeconds,
        currentDate: new Date(now),
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      // As for a verified token: only when no other key set arrived during the check.
      if (error instanceof errors.JWSSignatureVerificationFailed && keys.generation === generation)
        this.refusedSignatures.set(key, { keys, generation }, now + REFUSAL_CACHE_MS);
      const rejection = describeRejection(error);
      if (rejection)
        throw BearerChallengeError.invalidToken(rejection, error instanceof errors.JWTExpired ? 'expired' : 'invalid');
      throw keysUnavailable(error);
    }
    // jose checks iat only together with a maximum age; a token from the future is refused here.
    if (typeof payload.iat === 'number' && payload.iat > now / 1000 + this.profile.clockSkewSeconds)
      throw BearerChallengeError.invalidToken("The access token's iat claim is in the future.");
    return {
      ...identityClaims(payload),
      expiresAt: payload.exp as number,
      tokenKind: 'jwt',
      profile: profileFromClaims(payload),
    };
  }

  private async keys(): Promise<IssuerKeySet> {
    const { published, fetchFrom } = await this.profile.jwksUrl().catch((error: unknown) => {
      throw new UpstreamUnavailableError(
        'the authorization server',
        `Its metadata, which names the signing keys, is unavailable: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    if (this.keySet?.url !== published) {
      const keys = new IssuerKeySet(new URL(fetchFrom), {
        timeoutMs: this.profile.upstreamTimeoutMs,
        cacheMaxAgeMs: this.profile.jwksCacheMs,
        refetchIntervalMs: this.profile.jwksRefreshCooldownMs,
        now: this.profile.now,
        fetch: (url, options) => this.timedFetch(url, options),
      });
      this.keySet = { url: published, keys };
    }
    return this.keySet.keys;
  }

  private async timedFetch(url: string, options: RequestInit): Promise<Response> {
    const elapsed = stopwatch();
    try {
      const response = await fetch(url, options);
      this.profile.onKeySetFetch(response.ok ? 'success' : 'error', elapsed());
      return response;
    } catch (error) {
      this.profile.onKeySetFetch(options.signal?.aborted ? 'timeout' : 'error', elapsed());
      throw error;
    }
  }
}
