import DNS from 'dns2';
import type { AddressInfo } from 'node:net';

/**
 * A DNS server on 127.0.0.1 (UDP, a random port) that answers A and AAAA queries from a table the test
 * changes as it goes: `set('rebind.test', ['127.0.0.1'])`. Unknown names answer with no records.
 */
export interface DnsStub {
  /** `127.0.0.1:<port>`, for `DNS_SERVERS`. */
  readonly server: string;
  set(name: string, addresses: readonly string[]): void;
  close(): Promise<void>;
}

export async function startDnsStub(): Promise<DnsStub> {
  const records = new Map<string, readonly string[]>();
  const { Packet } = DNS;
  const udp = DNS.createUDPServer((request, send) => {
    const response = Packet.createResponseFromRequest(request);
    for (const question of request.questions) {
      const name = question.name.toLowerCase().replace(/\.$/, '');
      const wantsV6 = question.type === Packet.TYPE.AAAA;
      if (question.type !== Packet.TYPE.A && !wantsV6) continue;
      for (const address of records.get(name) ?? []) {
        if (address.includes(':') !== wantsV6) continue;
        response.answers.push(Packet.createResourceFromQuestion(question, { class: Packet.CLASS.IN, ttl: 0, address }));
      }
    }
    void send(response);
  });
  await udp.listen(0, '127.0.0.1');
  const { port } = udp.address() as AddressInfo;
  return {
    server: `127.0.0.1:${port}`,
    set: (name, addresses) => void records.set(name.toLowerCase(), addresses),
    close: () => new Promise<void>((resolve) => udp.close(() => resolve())),
  };
}
