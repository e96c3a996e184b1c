import { inSystemFolders, PROGRAM_FILES, SYSTEM32, WEB_PORTS } from './catalog-paths.js';
import type { AllowRuleInput } from './settings.js';

/** Certificate revocation (CRL) and OCSP hosts of the well-known public CAs and of Microsoft's own PKI. */
export const CA_REVOCATION_HOSTS: readonly string[] = [
  '*.digicert.com',
  '*.globalsign.com',
  '*.globalsign.net',
  '*.sectigo.com',
  '*.usertrust.com',
  '*.comodoca.com',
  '*.verisign.com',
  '*.symcd.com',
  '*.symcb.com',
  '*.entrust.net',
  '*.godaddy.com',
  '*.identrust.com',
  '*.lencr.org',
  '*.pki.goog',
  '*.amazontrust.com',
  'ctldl.windowsupdate.com',
  'crl.microsoft.com',
  'oneocsp.microsoft.com',
  'ocsp.msocsp.com',
  'www.microsoft.com',
];

const DEFENDER_PLATFORM = 'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\*';
const DEFENDER_BINARIES = ['MsMpEng.exe', 'MpDefenderCoreService.exe', 'NisSrv.exe'];

/** Windows itself: updates, Defender Antivirus, certificate checks, the DNS server role, Configuration Manager. */
export const WINDOWS_RULES: AllowRuleInput[] = [
  {
    id: 'builtin:windows-update',
    reason: 'Windows Update / BITS (svchost) and the Update Orchestrator (MoUsoCoreWorker, UsoClient) downloading from Microsoft update servers',
    source: 'https://learn.microsoft.com/en-us/windows/privacy/manage-windows-11-endpoints',
    process_path: [`${SYSTEM32}\\svchost.exe`, `${SYSTEM32}\\MoUsoCoreWorker.exe`, `${SYSTEM32}\\UsoClient.exe`],
    dst_domain: ['*.windowsupdate.com', '*.update.microsoft.com', '*.delivery.mp.microsoft.com'],
    port: WEB_PORTS,
    protocol: 'tcp',
  },
  {
    id: 'builtin:defender',
    reason: 'Microsoft Defender Antivirus cloud protection and updates',
    source: 'https://learn.microsoft.com/en-us/defender-endpoint/configure-network-connections-microsoft-defender-antivirus',
    process_path: DEFENDER_BINARIES.flatMap((exe) => [`${PROGRAM_FILES}\\Windows Defender\\${exe}`, `${DEFENDER_PLATFORM}\\${exe}`]),
    port: 443,
    protocol: 'tcp',
  },
  {
    id: 'builtin:crl-ocsp',
    reason: 'Windows certificate checks (CryptSvc in svchost, lsass) fetching CRLs and OCSP answers from well-known CAs',
    source: 'https://learn.microsoft.com/en-us/windows/privacy/manage-windows-11-endpoints',
    process_path: [`${SYSTEM32}\\svchost.exe`, `${SYSTEM32}\\lsass.exe`],
    dst_domain: [...CA_REVOCATION_HOSTS],
    port: WEB_PORTS,
    protocol: 'tcp',
  },
  {
    // certutil downloads anything with -urlcache: only the CA hosts are allowed, never certutil as such.
    id: 'builtin:certutil-crl-ocsp',
    reason: 'certutil.exe fetching CRLs and OCSP answers from well-known CAs (certutil is a LOLBin: no other host is allowed)',
    source: 'https://learn.microsoft.com/en-us/windows-server/administration/windows-commands/certutil',
    process_path: inSystemFolders('certutil.exe'),
    dst_domain: [...CA_REVOCATION_HOSTS],
    port: WEB_PORTS,
    protocol: 'tcp',
  },
  {
    id: 'builtin:dns-server',
    reason: 'Windows DNS Server (a domain controller) resolving through its forwarders or the internet root servers',
    source: 'https://learn.microsoft.com/en-us/windows-server/networking/dns/dns-overview',
    process_path: `${SYSTEM32}\\dns.exe`,
    port: 53,
    protocol: ['udp', 'tcp'],
  },
  {
    id: 'builtin:sccm-client',
    reason: 'Configuration Manager client (CcmExec) talking to its management and distribution points and WSUS',
    source: 'https://learn.microsoft.com/en-us/intune/configmgr/core/plan-design/hierarchy/ports',
    process_path: 'C:\\Windows\\CCM\\CcmExec.exe',
    port: [...WEB_PORTS, 8530, 8531, 10123],
    protocol: 'tcp',
  },
];
