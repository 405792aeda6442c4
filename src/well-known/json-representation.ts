import { hash } from 'node:crypto';
import type { Request, Response } from 'express';

/** What Express's `res.json()` sent for these documents; kept so that clients see the same answer. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * One version of a JSON document as it goes on the wire: serialised once, with a strong ETag and its
 * Content-Length, instead of Express serialising it and hashing the result for a weak ETag on every GET.
 * The bytes are those `JSON.stringify` gives, as `res.json()` sent them.
 */
export class JsonRepresentation {
  private readonly json: string;
  private readonly length: string;
  readonly etag: string;

  constructor(document: object) {
    this.json = JSON.stringify(document);
    this.length = String(Buffer.byteLength(this.json));
    this.etag = `"${hash('sha256', this.json, 'base64url')}"`;
  }

  /**
   * Answers a GET or HEAD (Node sends no body for HEAD; the length is still the GET's). A conditional
   * request whose If-None-Match names this version gets 304, with the validator and caching headers a
   * 200 would carry (RFC 9110 §15.4.5).
   */
  send(request: Request, response: Response, cacheControl: string): void {
    response.setHeader('Cache-Control', cacheControl);
    response.setHeader('ETag', this.etag);
    const ifNoneMatch = request.headers['if-none-match'];
    if (ifNoneMatch !== undefined && noneMatchNames(ifNoneMatch, this.etag)) {
      response.statusCode = 304;
      response.end();
      return;
    }
    response.setHeader('Content-Type', JSON_CONTENT_TYPE);
    response.setHeader('Content-Length', this.length);
    response.end(this.json);
  }
}

/**
 * Whether an If-None-Match field matches the current ETag: `*`, or any listed tag under the weak
 * comparison RFC 9110 §13.1.2 prescribes for this field (`W/"x"` and `"x"` are the same version).
 */
export function noneMatchNames(field: string, etag: string): boolean {
  if (field.trim() === '*') return true;
  for (const listed of field.split(',')) {
    const tag = listed.trim();
    if ((tag.startsWith('W/') ? tag.slice(2) : tag) === etag) return true;
  }
  return false;
}

/**
 * Representations of documents that are replaced, not changed, when a new version arrives (the
 * authorization server's metadata after a fetch): each version is serialised the first time it is
 * served, and forgotten with it.
 */
export class JsonRepresentations {
  private readonly byDocument = new WeakMap<object, JsonRepresentation>();

  of(document: object): JsonRepresentation {
    let representation = this.byDocument.get(document);
    if (!representation) {
      representation = new JsonRepresentation(document);
      this.byDocument.set(document, representation);
    }
    return representation;
  }
}
