import { classifyAddress, classifyHostname, embeddedIpv4 } from './address-policy';
import { parseDuration } from './durations';

describe('classifyAddress', () => {
  it.each([
    ['93.184.216.34', 'public'],
    ['2606:4700::1111', 'public'],
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['fd12::1', 'private'],
    ['169.254.169.254', 'metadata'],
    ['169.254.10.10', 'link-local'],
    ['fe80::1', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'reserved'],
    ['::', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    // The forms the URL parser writes IPv4-mapped addresses in.
    ['::ffff:7f00:1', 'loopback'],
    ['0:0:0:0:0:ffff:7f00:1', 'loopback'],
    ['::ffff:a00:5', 'private'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::ffff:0:7f00:1', 'loopback'],
    ['::ffff:5db8:d822', 'public'],
    // IPv4-compatible, NAT64 and 6to4 forms reach the IPv4 address they embed.
    ['::7f00:1', 'loopback'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::10.0.0.5', 'private'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b::5db8:d822', 'public'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:c0a8:101::1', 'private'],
    ['2002:a9fe:a9fe::', 'metadata'],
    ['2002:5db8:d822::1', 'public'],
    ['fc00::1', 'private'],
    ['fd00::1', 'private'],
    ['fd00:ec2::254', 'metadata'],
    ['fe80::1%eth0', 'link-local'],
    ['100.127.255.255', 'cgnat'],
    ['0.1.2.3', 'reserved'],
    ['not an address', 'reserved'],
  ])('%s is %s', (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
  });

  it.each([
    ['::ffff:7f00:1', '127.0.0.1'],
    ['::ffff:0:a00:1', '10.0.0.1'],
    ['::a00:1', '10.0.0.1'],
    ['64:ff9b::c0a8:101', '192.168.1.1'],
    ['2002:ac10:1:abcd::1', '172.16.0.1'],
    ['::1', undefined],
    ['::', undefined],
    ['2606:4700::1111', undefined],
  ])('%s embeds %s', (ip, expected) => expect(embeddedIpv4(ip)).toBe(expected));
});

describe('classifyHostname', () => {
  it.each([
    ['localhost', 'loopback'],
    ['LOCALHOST.', 'loopback'],
    ['api.localhost', 'loopback'],
    ['metadata.google.internal', 'metadata'],
    ['metadata.google.internal.', 'metadata'],
    ['metadata', 'metadata'],
    ['instance-data.ec2.internal', 'metadata'],
    ['example.com', 'public'],
    ['localhost.example.com', 'public'],
  ])('%s is %s', (name, expected) => expect(classifyHostname(name)).toBe(expected));
});

describe('parseDuration', () => {
  it.each([
    ['5s', 5000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['250ms', 250],
  ])('%s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '5', 's', '-5s', '1.5h', '5 minutes'])('refuses %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});
