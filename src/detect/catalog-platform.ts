import { SYSTEM32 } from './catalog-paths.js';
import type { AllowRuleInput } from './settings.js';

/**
 * Platform services whose vendors document fixed addresses, names and ports: the cloud VM agent's host address,
 * push notification services, STUN for calls, the Windows time and connectivity probes. Each entry is limited to
 * what its source documents; none allows a destination on any port, and none allows a LOLBin.
 */
export const PLATFORM_RULES: AllowRuleInput[] = [
  {
    id: 'builtin:azure-wireserver',
    reason:
      'Azure platform host 168.63.129.16 (a fixed public address in every region): VM agent and health on 80 and 32526 tcp, Azure DNS on 53',
    source: 'https://learn.microsoft.com/en-us/azure/virtual-network/what-is-ip-address-168-63-129-16',
    dst_cidr: '168.63.129.16/32',
    port: [80, 32526, 53],
    protocol: ['tcp', 'udp'],
  },
  {
    id: 'builtin:windows-time',
    reason: 'Windows Time service (W32Time in svchost) synchronising over NTP (123 udp)',
    source: 'https://learn.microsoft.com/en-us/windows-server/networking/windows-time-service/windows-time-service-tools-and-settings',
    process_path: `${SYSTEM32}\\svchost.exe`,
    port: 123,
    protocol: 'udp',
  },
  {
    id: 'builtin:windows-ncsi',
    reason: 'Windows network connectivity status probes (NCSI: connecttest.txt over HTTP, its DNS probe)',
    source: 'https://learn.microsoft.com/en-us/windows-server/networking/ncsi/ncsi-frequently-asked-questions',
    process_path: `${SYSTEM32}\\svchost.exe`,
    dst_domain: ['www.msftconnecttest.com', 'ipv6.msftconnecttest.com', 'dns.msftncsi.com', 'www.msftncsi.com'],
    port: 80,
    protocol: 'tcp',
  },
  {
    id: 'builtin:as112',
    reason:
      'Reverse lookups of private addresses that leak to the AS112 blackhole servers (192.175.48.0/24, 192.31.196.0/24, 2620:4f:8000::/48) on 53',
    source: 'https://www.rfc-editor.org/rfc/rfc7534',
    dst_cidr: ['192.175.48.0/24', '192.31.196.0/24', '2620:4f:8000::/48'],
    port: 53,
    protocol: ['udp', 'tcp', 'dns'],
  },
  {
    id: 'builtin:apple-push',
    reason: "Apple Push Notification service in Apple's 17.0.0.0/8 (5223 tcp, 443 and 2197 tcp as fallback and for providers)",
    source: 'https://support.apple.com/102266',
    dst_cidr: '17.0.0.0/8',
    port: [5223, 443, 2197],
    protocol: 'tcp',
  },
  {
    id: 'builtin:google-fcm',
    reason: 'Firebase Cloud Messaging (Android and Chrome push) to mtalk.google.com on 5228-5230 tcp',
    source: 'https://firebase.google.com/docs/cloud-messaging/network-configuration',
    dst_domain: ['mtalk.google.com', 'alt1-mtalk.google.com', 'alt2-mtalk.google.com', 'alt3-mtalk.google.com', 'alt4-mtalk.google.com', 'alt5-mtalk.google.com', 'alt6-mtalk.google.com', 'alt7-mtalk.google.com', 'alt8-mtalk.google.com'],
    port: '5228-5230',
    protocol: 'tcp',
  },
  {
    id: 'builtin:google-meet-media',
    reason: "Google Meet / WebRTC media to Google's published media range (3478 and 19302-19309 udp)",
    source: 'https://support.google.com/a/answer/1279090',
    dst_cidr: ['74.125.250.0/24', '2001:4860:4864:5::/64'],
    port: [3478, '19302-19309'],
    protocol: 'udp',
  },
];
