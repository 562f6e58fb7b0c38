/**
 * The `tag` query parameter of the event streams: fnmatch globs (repeatable), an event passes
 * when its tag matches any of them. No parameter means every event, as in salt-api.
 */
import { Errors } from '../errors.js';
import { compileGlob } from '../salt/match.js';

export type TagFilter = (tag: string) => boolean;

/** Enough for any real client; bounds the work a request can make us do per event. */
const MAX_GLOBS = 32;
const MAX_GLOB_LENGTH = 512;

const EVERY_TAG: TagFilter = () => true;

export function tagFilter(param: string | string[] | undefined): TagFilter {
  if (param === undefined) return EVERY_TAG;
  const globs = Array.isArray(param) ? param : [param];
  if (globs.length > MAX_GLOBS) throw Errors.BadRequest(`At most ${MAX_GLOBS} tag filters are accepted`);
  if (globs.some((glob) => glob.length > MAX_GLOB_LENGTH)) {
    throw Errors.BadRequest(`A tag filter may be at most ${MAX_GLOB_LENGTH} characters long`);
  }
  const patterns = globs.map(compileGlob);
  return (tag) => patterns.some((pattern) => pattern.test(tag));
}
