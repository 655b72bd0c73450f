/**
 * A request the client got wrong (400, 404, 405): answered with its status and message and not logged as a fault.
 * Anything else thrown by a route is the server's fault and becomes a logged 500.
 */
export class HttpError extends Error {
  constructor(
    readonly status: 400 | 404 | 405,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}
