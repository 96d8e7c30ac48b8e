import { lookup } from 'node:dns';
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Every address a host name resolves to; rejects (with the resolver's `code`) when it resolves to none. */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

/**
 * Parses `DNS_SERVERS`: comma-separated `ip` or `ip:port` (`[v6]:port`). Empty or unset: undefined, the
 * system's resolver. Throws on an entry that is not an IP address (with an optional port).
 */
export function parseDnsServers(text: string | undefined): string[] | undefined {
  const servers = (text ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (servers.length === 0) return undefined;
  for (const server of servers) {
    const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(server) ?? /^([^:]+)(?::(\d+))?$/.exec(server);
    const host = match?.[1] ?? server;
    const port = match?.[2] === undefined ? 53 : Number(match[2]);
    if (!match || isIP(host) === 0 || port < 1 || port > 65535) {
      throw new Error(`${server} is not an IP address with an optional port, such as 10.0.0.2:53`);
    }
  }
  return servers;
}

/**
 * How the engine resolves endpoint hosts, the same in the producer (checking a URL) and the dispatcher
 * (connecting). Without DNS servers, the system's getaddrinfo (`/etc/hosts` included); with them, A and
 * AAAA queries to those servers only.
 */
export function createHostResolver(dnsServers: readonly string[] | undefined): HostResolver {
  if (!dnsServers || dnsServers.length === 0) {
    return (hostname) =>
      new Promise((resolve, reject) =>
        lookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
          error
            ? reject(error)
            : resolve(addresses.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }))),
        ),
      );
  }
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([...dnsServers]);
  return async (hostname) => {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)]);
    const addresses: ResolvedAddress[] = [
      ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 as const })) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 as const })) : []),
    ];
    if (addresses.length > 0) return addresses;
    const failure = [v4, v6].find((result) => result.status === 'rejected');
    const cause = failure?.status === 'rejected' ? (failure.reason as NodeJS.ErrnoException) : undefined;
    // No records of either family is a name that does not resolve, as getaddrinfo says it.
    const code = !cause?.code || cause.code === 'ENODATA' ? 'ENOTFOUND' : cause.code;
    throw Object.assign(new Error(`${hostname} does not resolve (${cause?.code ?? 'no A or AAAA records'})`), {
      code,
      hostname,
    });
  };
}
