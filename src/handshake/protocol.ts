/**
 * Subprotocol selection (RFC 6455 section 4.2.2, step 5.4 /subprotocol/): the server
 * picks at most one of the client's offers.
 */

/**
 * The server's choice among the offered subprotocols (the same contract as ws's
 * `handleProtocols`): a string among `protocols`, or `false`/`undefined`/`null` for none.
 */
export type HandleProtocols<Req> = (protocols: Set<string>, req: Req) => string | false | null | undefined;

/**
 * Picks the subprotocol to answer with, or `undefined` to send no `Sec-WebSocket-Protocol`.
 *
 * - No offers: `undefined`, and `handleProtocols` is not called (as in ws).
 * - No handler: the first offer, the client's preferred one (ws's default).
 * - The handler gets a copy of the offers, so it cannot add its own answer to them.
 * - A handler answer that was not offered is ignored (`undefined`): ws would send it, but
 *   RFC 6455 section 4.2.2 only allows "one of the values" the client sent, and the
 *   client would fail the connection anyway (section 4.1, item 6).
 *
 * Exceptions thrown by `handleProtocols` propagate: they are application bugs.
 */
export function selectProtocol<Req>(
  protocols: ReadonlySet<string>,
  handleProtocols: HandleProtocols<Req> | undefined,
  req: Req,
): string | undefined {
  if (protocols.size === 0) return undefined;
  if (handleProtocols === undefined) return protocols.values().next().value;
  const chosen = handleProtocols(new Set(protocols), req);
  return typeof chosen === 'string' && protocols.has(chosen) ? chosen : undefined;
}
