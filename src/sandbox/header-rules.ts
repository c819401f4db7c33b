// Which static headers a webhook channel may not carry: the ones the delivery sets itself, and the
// hop-by-hop ones (RFC 9110 7.6.1), which describe one connection and never travel with a message.

export const reservedHeaderNames = {
  set: ['content-type', 'content-length', 'host', 'webhook-id', 'webhook-timestamp', 'webhook-signature'],
  hopByHop: ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'],
} as const;

/** Why a header name (any case) is reserved, or undefined when a channel may set it. */
export function reservedHeaderReason(name: string): string | undefined {
  const key = name.toLowerCase();
  if ((reservedHeaderNames.set as readonly string[]).includes(key)) return 'is set by the sandbox itself';
  if ((reservedHeaderNames.hopByHop as readonly string[]).includes(key)) return 'is a hop-by-hop header, reserved';
  return undefined;
}
