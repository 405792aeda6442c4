export interface ParsedChallenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

/**
 * Parses a `WWW-Authenticate` value (RFC 9110 §11.6.1) into its challenges. Parameter names are
 * lower-cased; quoted values are unescaped. Returns undefined when the value does not parse, so
 * the caller can say so rather than guess.
 */
export function parseWwwAuthenticate(header: string): ParsedChallenge[] | undefined {
  const challenges: ParsedChallenge[] = [];
  let rest = header.trim();
  while (rest.length > 0) {
    const scheme = TOKEN.exec(rest)?.[0];
    if (!scheme) return undefined;
    rest = rest.slice(scheme.length).trimStart();
    const challenge: ParsedChallenge = { scheme, params: {} };
    challenges.push(challenge);
    // Parameters until a token that is not followed by "=" starts the next challenge.
    while (rest.length > 0) {
      const name = TOKEN.exec(rest)?.[0];
      if (!name) return undefined;
      const afterName = rest.slice(name.length).trimStart();
      if (!afterName.startsWith('=')) break;
      const parsed = parseValue(afterName.slice(1).trimStart());
      if (!parsed) return undefined;
      challenge.params[name.toLowerCase()] = parsed.value;
      rest = parsed.rest.trimStart();
      if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
      else if (rest.length > 0) return undefined;
    }
  }
  return challenges.length > 0 ? challenges : undefined;
}

function parseValue(text: string): { value: string; rest: string } | undefined {
  if (!text.startsWith('"')) {
    const token = TOKEN.exec(text)?.[0];
    return token ? { value: token, rest: text.slice(token.length) } : undefined;
  }
  let value = '';
  for (let index = 1; index < text.length; index++) {
    const char = text[index];
    if (char === '\\') value += text[++index] ?? '';
    else if (char === '"') return { value, rest: text.slice(index + 1) };
    else value += char;
  }
  return undefined;
}

/** The Bearer challenge, if one parses. */
export function bearerChallenge(header: string | null): ParsedChallenge | undefined {
  if (header === null) return undefined;
  return parseWwwAuthenticate(header)?.find((challenge) => challenge.scheme.toLowerCase() === 'bearer');
}
