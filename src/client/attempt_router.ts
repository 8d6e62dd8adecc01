/**
 * How the client's retry loop (client.ts) routes a request by region (region_router.ts): each
 * attempt asks the router where to go and with which route, and tells it how the attempt failed.
 */
import type { RequestRoute } from "./connection.ts";
import type { TinyKvError } from "./errors.ts";

/** Where one attempt of a routed request goes. */
export interface RoutedTarget {
  readonly address: string;
  readonly route: RequestRoute;
}

/**
 * Picks each attempt's node and route, and learns from failed attempts: "retry" routes again at
 * once (the route cache was updated), an error ends the request with it, undefined retries as the
 * client does without regions (backoff, the deadline).
 */
export interface AttemptRouter {
  /** Undefined: this attempt goes unrouted, as without regions (the nodes do not route). */
  target(): Promise<RoutedTarget | undefined>;
  failed(err: TinyKvError, tried: RoutedTarget | undefined): "retry" | TinyKvError | undefined;
}
