/**
 * The wire formats the API speaks, keyed by media type (like fastify's content-type parsers).
 * Request bodies pick their parser by Content-Type; responses pick their renderer by CherryPy's
 * Accept negotiation over the renderers in registration order, the first being the default.
 */

import { Errors } from '../src/errors.js';
import { chooseMediaType } from './accept.js';
import type { Serializer } from './types.js';

/** Distinct Accept headers remembered; clients send a handful, attackers could send millions. */
const NEGOTIATION_CACHE_SIZE = 256;

/** The media type of a Content-Type header: parameters dropped, lower-cased. */
function mediaTypeOf(contentType: string): string {
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/** The Content-Type header value sent with a serializer's output. */
export function contentTypeOf(serializer: Serializer): string {
  return serializer.contentType ?? serializer.mediaTypes[0] ?? 'application/octet-stream';
}

export class SerializerRegistry {
  readonly #byMediaType = new Map<string, Serializer>();
  readonly #negotiated = new Map<string, Serializer>();
  #offerList: { types: string[]; serializers: Serializer[] } | undefined;

  /**
   * Add a format. A media type registered again is taken over by the newer serializer, keeping
   * its place in the preference order.
   */
  register(serializer: Serializer): this {
    for (const type of serializer.mediaTypes) this.#byMediaType.set(type.toLowerCase(), serializer);
    this.#offerList = undefined;
    this.#negotiated.clear();
    return this;
  }

  /** The serializer that parses bodies of this Content-Type, if any. */
  parserFor(contentType: string | undefined): Serializer | undefined {
    if (contentType === undefined) return undefined;
    const serializer = this.#byMediaType.get(mediaTypeOf(contentType));
    return serializer?.parse === undefined && serializer?.parseBytes === undefined ? undefined : serializer;
  }

  /** Every registered media type, parse-only ones included, in registration order. */
  mediaTypes(): string[] {
    return [...this.#byMediaType.keys()];
  }

  /** The serializers that render responses, in preference order. */
  renderers(): Serializer[] {
    return [...this.#offers().serializers];
  }

  /**
   * The renderer for this Accept header. Throws 406 when nothing offered is acceptable and 400
   * for a q-value that is not a number, as CherryPy does.
   */
  negotiate(accept: string | undefined): Serializer {
    const key = accept ?? '';
    const cached = this.#negotiated.get(key);
    if (cached !== undefined) return cached;
    const { types, serializers } = this.#offers();
    const chosen = chooseMediaType(accept, types);
    const serializer = chosen === undefined ? undefined : serializers[types.indexOf(chosen)];
    if (serializer === undefined) throw Errors.NotAcceptable(accept ?? '', types);
    if (this.#negotiated.size >= NEGOTIATION_CACHE_SIZE) {
      const oldest = this.#negotiated.keys().next();
      if (oldest.done !== true) this.#negotiated.delete(oldest.value);
    }
    this.#negotiated.set(key, serializer);
    return serializer;
  }

  /**
   * A renderer is offered under its canonical (first) media type only, which is also the
   * Content-Type it answers with; so `text/yaml` is read but never offered, as in salt-api.
   */
  #offers(): { types: string[]; serializers: Serializer[] } {
    if (this.#offerList === undefined) {
      const types: string[] = [];
      const serializers: Serializer[] = [];
      for (const [type, serializer] of this.#byMediaType) {
        if (serializer.render !== undefined && serializer.mediaTypes[0]?.toLowerCase() === type) {
          types.push(type);
          serializers.push(serializer);
        }
      }
      this.#offerList = { types, serializers };
    }
    return this.#offerList;
  }
}
