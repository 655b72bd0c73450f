import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError } from "./http-error.js";

/** ":name" segments of a pattern, and "rest" for a trailing "/*". */
type ParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamNames<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : P extends `${string}/*`
      ? "rest"
      : never;

export type RouteParams<P extends string> = { [K in ParamNames<P>]: string };

export interface RouteContext<P extends string = string> {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: RouteParams<P>;
}

export type RouteHandler<P extends string = string> = (ctx: RouteContext<P>) => void | Promise<void>;

interface Route {
  segments: string[];
  /** The pattern ends in "/*": the remaining segments become params.rest. */
  hasRest: boolean;
  handler: RouteHandler;
}

export interface RouteMatch {
  handler: RouteHandler;
  params: Record<string, string>;
}

/** GET routes by path pattern ("/api/hosts/:id", "/assets/*"); first registered match wins. */
export class Router {
  private readonly routes: Route[] = [];

  get<P extends string>(pattern: P, handler: RouteHandler<P>): this {
    const hasRest = pattern.endsWith("/*");
    const segments = splitPath(hasRest ? pattern.slice(0, -2) : pattern);
    this.routes.push({ segments, hasRest, handler });
    return this;
  }

  match(pathname: string): RouteMatch | undefined {
    const parts = splitPath(pathname);
    for (const route of this.routes) {
      const params = matchRoute(route, parts);
      if (params) return { handler: route.handler, params };
    }
    return undefined;
  }
}

function splitPath(path: string): string[] {
  return path.split("/").filter((s) => s.length > 0);
}

function matchRoute(route: Route, parts: string[]): Record<string, string> | undefined {
  if (route.hasRest ? parts.length <= route.segments.length : parts.length !== route.segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < route.segments.length; i++) {
    const expected = route.segments[i]!;
    const actual = parts[i]!;
    if (expected.startsWith(":")) params[expected.slice(1)] = decodeSegment(actual);
    else if (expected !== actual) return undefined;
  }
  // The rest stays percent-decoded per segment: a "%2F" inside one becomes "/", which the static handler refuses.
  if (route.hasRest) params["rest"] = parts.slice(route.segments.length).map(decodeSegment).join("/");
  return params;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `malformed percent-encoding in path segment "${segment}"`);
  }
}
