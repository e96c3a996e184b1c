/**
 * The third-party recordings the evaluation reads: eleven OTRF Security-Datasets host logs (MIT licence, copyright
 * Open Threat Research Forge, https://github.com/OTRF/Security-Datasets/blob/master/LICENSE). They are never
 * committed: `npm run eval:fetch` downloads them from the project's public repository into the data folder and
 * checks each file against the SHA-256 below (computed from the unchanged originals).
 */

export interface Recording {
  /** File name in the data folder, `<name>.zip`. */
  name: string;
  /** Path of the zip in OTRF/Security-Datasets (its metadata's host `link`), relative to the repository root. */
  path: string;
  sha256: string;
  bytes: number;
}

const atomic = (tactic: string, name: string) => `datasets/atomic/windows/${tactic}/host/${name}.zip`;

export const RECORDINGS = [
  {
    name: 'covenant_dcom_iertutil_dll_hijack',
    path: atomic('lateral_movement', 'covenant_dcom_iertutil_dll_hijack'),
    sha256: 'e03ad2075a74cc1fc22eb0d25eef740e88e114938e46c3f1c36071b78e18376d',
    bytes: 3_369_148,
  },
  {
    name: 'covenant_installutil',
    path: atomic('defense_evasion', 'covenant_installutil'),
    sha256: '9be5698bd46e2869b34d0a6ef712725d1e611eb32d87d2d29f37c9e34872fabe',
    bytes: 111_142,
  },
  {
    name: 'covenant_psremoting_grunt',
    path: atomic('lateral_movement', 'covenant_psremoting_grunt'),
    sha256: '3a9b8dfaa1abf039279afc27b872e606bd4bed42f0a2de29254cce3d4126db76',
    bytes: 622_960,
  },
  {
    name: 'covenant_sharpsc_create_dcerpc_smb_svcctl',
    path: atomic('lateral_movement', 'covenant_sharpsc_create_dcerpc_smb_svcctl'),
    sha256: '77487bbd1fc7954adbc9ba07bfeeeb9d57192b0f0e0f54e1ee5a05c71a5be84a',
    bytes: 276_984,
  },
  {
    name: 'covenant_wmi_remote_event_subscription_ActiveScriptEventConsumers',
    path: atomic('lateral_movement', 'covenant_wmi_remote_event_subscription_ActiveScriptEventConsumers'),
    sha256: '6167815b2f1901a267d965335251dc035b211f2b6e0d2063903d764305b80415',
    bytes: 351_088,
  },
  {
    name: 'empire_dllinjection_LoadLibrary_CreateRemoteThread',
    path: atomic('defense_evasion', 'empire_dllinjection_LoadLibrary_CreateRemoteThread'),
    sha256: '98071a478f57f2ca71530c4cb839f2054da0e6bd8b106caaa5d9518d1be0ccc8',
    bytes: 1_103_116,
  },
  {
    name: 'empire_launcher_vbs',
    path: atomic('execution', 'empire_launcher_vbs'),
    sha256: '812da270cf8cda6f1948fb6275410f15dc1794d0bd6b623c9c25b2518285019c',
    bytes: 313_016,
  },
  {
    name: 'empire_mimikatz_logonpasswords',
    path: atomic('credential_access', 'empire_mimikatz_logonpasswords'),
    sha256: 'bb4c057b62d781be5426e011872ba1a15070c07afbb24848a14458f4b22b06fb',
    bytes: 716_749,
  },
  {
    name: 'empire_persistence_registry_modification_run_keys_standard_user',
    path: atomic('persistence', 'empire_persistence_registry_modification_run_keys_standard_user'),
    sha256: '2965f791bcaf5e6ccfc4059985e81fd7e67ec87f17855b6c383edd1b03a19c36',
    bytes: 3_550_216,
  },
  {
    name: 'empire_psexec_dcerpc_tcp_svcctl',
    path: atomic('lateral_movement', 'empire_psexec_dcerpc_tcp_svcctl'),
    sha256: '8f40e7fc86bbbf31ebd50b3ba537cf0f4378392ae3e74de84bee00aeb0de1fa5',
    bytes: 656_179,
  },
  {
    name: 'empire_shell_net_local_users',
    path: atomic('discovery', 'empire_shell_net_local_users'),
    sha256: 'a2cf8016ad2a134f61aec5133bd0aa54f662aa4165f60b30f4204fd31787576c',
    bytes: 222_730,
  },
] as const satisfies readonly Recording[];

export type RecordingName = (typeof RECORDINGS)[number]['name'];

/** Where `npm run eval:fetch` downloads from unless `CW_EVAL_DATA_URL` says otherwise: the raw files of the repository. */
export const DEFAULT_RECORDINGS_URL = 'https://raw.githubusercontent.com/OTRF/Security-Datasets/master/';
