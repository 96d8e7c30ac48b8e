import { classifyAddress, classifyHostname, createHostResolver } from '@hookstream/delivery';
import { isIP } from 'node:net';
import type { ErrorDetail } from '../http/api-error';

export type Resolve = (host: string) => Promise<string[]>;

const systemResolver = createHostResolver(undefined);
const resolveAll: Resolve = async (host) => (await systemResolver(host)).map((entry) => entry.address);

export interface UrlPolicyContext {
  readonly environment: 'sandbox' | 'live';
  /** Local mode relaxes the rules for sandbox endpoints only. */
  readonly isLocal: boolean;
}

/**
 * An endpoint URL must be https:// and reach only public addresses, checked after DNS resolution.
 * The dispatcher checks again at connection time, so a name that later resolves elsewhere gains nothing.
 * The host checked is the URL parser's: `2130706433`, `0177.0.0.1`, `0x7f.1` and `127.1` are all `127.0.0.1`.
 */
export async function checkEndpointUrl(
  text: string,
  context: UrlPolicyContext,
  resolve: Resolve = resolveAll,
): Promise<ErrorDetail[]> {
  const field = 'url';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return [{ field, message: 'must be an absolute URL' }];
  }
  const isRelaxed = context.isLocal && context.environment === 'sandbox';
  if (url.protocol !== 'https:' && !(isRelaxed && url.protocol === 'http:')) {
    return [{ field, message: isRelaxed ? 'must use https:// or http://' : 'must use https://' }];
  }
  if (url.username || url.password) return [{ field, message: 'must not carry credentials' }];
  if (url.hash) return [{ field, message: 'must not have a #fragment' }];
  if (isRelaxed) return [];

  const host = url.hostname.replace(/^\[|\]$/g, '');
  const named = isIP(host) ? 'public' : classifyHostname(host);
  if (named !== 'public') return [{ field, message: `${host} is a ${named} host name, which is refused` }];
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch {
    return [{ field, message: `host ${host} does not resolve` }];
  }
  const refused = addresses
    .map((address) => [address, classifyAddress(address)] as const)
    .filter(([, kind]) => kind !== 'public');
  return refused.map(([address, kind]) => ({
    field,
    message: `resolves to a ${kind} address (${address}), which is refused`,
  }));
}
