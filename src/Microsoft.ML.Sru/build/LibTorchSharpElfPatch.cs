// Compiled by MSBuild's RoslynCodeTaskFactory from Sru.MLNet.targets (so it needs nothing a
// user may lack), and linked into the unit tests, which define ELF_PATCHER_LOGIC_ONLY to leave out
// the MSBuild task. The task factory compiles against .NET Standard 2.0.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
#if !ELF_PATCHER_LOGIC_ONLY
using Microsoft.Build.Framework;
#endif

#if !ELF_PATCHER_LOGIC_ONLY
/// <summary>
/// Marks one symbol-version requirement of an ELF shared library as optional (VER_FLG_WEAK), so that
/// the dynamic loader tolerates its absence. TorchSharp 0.107's libLibTorchSharp.so requires
/// GLIBCXX_3.4.32 only for a symbol it never binds; GCC 12's libstdc++ (Debian 12, Ubuntu 22.04)
/// lacks that version, which otherwise stops TorchSharp from loading.
/// </summary>
public sealed class PatchLibTorchSharp : Microsoft.Build.Utilities.Task
{
    /// <summary>Candidate copies of libLibTorchSharp.so in a build or publish output.</summary>
    [Required]
    public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>The version requirement to make optional.</summary>
    public string VersionName { get; set; } = "GLIBCXX_3.4.32";

    /// <summary><c>auto</c> (patch when the machine's libstdc++ lacks the version), <c>always</c> or <c>never</c>.</summary>
    public string Mode { get; set; } = "auto";

    public override bool Execute()
    {
        if (string.Equals(Mode, "never", StringComparison.OrdinalIgnoreCase))
            return true;
        if (string.Equals(Mode, "auto", StringComparison.OrdinalIgnoreCase))
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
                return true;
            string? libstdcxx = ElfVersionPatcher.FindSystemLibStdCxx();
            if (libstdcxx != null && ElfVersionPatcher.FileContainsVersion(libstdcxx, VersionName))
            {
                Log.LogMessage(MessageImportance.Low, "{0} provides {1}; libLibTorchSharp.so left as it is.", libstdcxx, VersionName);
                return true;
            }
        }

        foreach (ITaskItem item in Files)
        {
            string path = item.ItemSpec;
            if (!File.Exists(path))
                continue;
            ElfPatchResult result;
            try
            {
                result = ElfVersionPatcher.MakeVersionOptional(path, VersionName);
            }
            catch (IOException e)
            {
                Log.LogWarning("Could not patch {0}: {1}", path, e.Message);
                continue;
            }
            catch (UnauthorizedAccessException e)
            {
                Log.LogWarning("Could not patch {0}: {1}", path, e.Message);
                continue;
            }

            switch (result)
            {
                case ElfPatchResult.Patched:
                    Log.LogMessage(MessageImportance.Normal, "Marked {0} optional in {1} (this machine's libstdc++ lacks it).", VersionName, path);
                    break;
                case ElfPatchResult.NotElf:
                    Log.LogWarning("{0} is not the 64-bit little-endian ELF library expected; left unchanged. TorchSharp may fail to load on this machine.", path);
                    break;
                default:
                    Log.LogMessage(MessageImportance.Low, "{0}: {1}.", path, result);
                    break;
            }
        }
        return !Log.HasLoggedErrors;
    }
}

#endif

/// <summary>What <see cref="ElfVersionPatcher.MakeVersionOptional"/> did.</summary>
public enum ElfPatchResult
{
    /// <summary>The flag was set now.</summary>
    Patched,
    /// <summary>The requirement was already optional: nothing written.</summary>
    AlreadyOptional,
    /// <summary>The file does not require that version: nothing written.</summary>
    VersionNotRequired,
    /// <summary>Not an ELF64 little-endian file with a readable version-needs section: nothing written.</summary>
    NotElf,
}

/// <summary>The ELF reading and the one-flag edit, free of MSBuild so that tests can call it.</summary>
public static class ElfVersionPatcher
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    private static readonly string[] LibraryDirectories =
    {
        "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
        "/lib64", "/usr/lib64", "/lib", "/usr/lib",
    };

    /// <summary>The libstdc++ the dynamic loader would pick, or null when none is found.</summary>
    public static string? FindSystemLibStdCxx()
    {
        var directories = new List<string>();
        string? ldLibraryPath = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
        if (!string.IsNullOrEmpty(ldLibraryPath))
            directories.AddRange(ldLibraryPath.Split(new[] { ':' }, StringSplitOptions.RemoveEmptyEntries));
        directories.AddRange(LibraryDirectories);
        foreach (string directory in directories)
        {
            string candidate = Path.Combine(directory, "libstdc++.so.6");
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }

    /// <summary>Whether the file defines or mentions the version string (libstdc++ lists every version it provides).</summary>
    public static bool FileContainsVersion(string path, string versionName)
    {
        byte[] needle = Encoding.ASCII.GetBytes(versionName + "\0");
        byte[] content = File.ReadAllBytes(path);
        for (int i = 0; i + needle.Length <= content.Length; i++)
        {
            int k = 0;
            while (k < needle.Length && content[i + k] == needle[k])
                k++;
            if (k == needle.Length)
                return true;
        }
        return false;
    }

    /// <summary>
    /// Sets VER_FLG_WEAK on the Vernaux entry named <paramref name="versionName"/>. Writes through a
    /// temporary file and a rename (so a hard link into a package cache is never modified) and keeps
    /// the file's timestamp, so incremental copies still see it as up to date.
    /// </summary>
    public static ElfPatchResult MakeVersionOptional(string path, string versionName)
    {
        byte[] image = File.ReadAllBytes(path);
        long offset = FindVernauxFlagsOffset(image, versionName, out ElfPatchResult status);
        if (offset < 0)
            return status;

        ushort flags = ReadU16(image, offset);
        if ((flags & VerFlgWeak) != 0)
            return ElfPatchResult.AlreadyOptional;
        WriteU16(image, offset, (ushort)(flags | VerFlgWeak));

        DateTime lastWrite = File.GetLastWriteTimeUtc(path);
        string temporary = path + ".sru-patch.tmp";
        try
        {
            // A copy keeps the file mode; the rename then replaces the output file in one step.
            File.Copy(path, temporary, overwrite: true);
            using (var stream = new FileStream(temporary, FileMode.Open, FileAccess.Write))
            {
                stream.Position = offset;
                stream.Write(image, (int)offset, 2);
            }
            File.SetLastWriteTimeUtc(temporary, lastWrite);
            File.Replace(temporary, path, null);
        }
        finally
        {
            if (File.Exists(temporary))
                File.Delete(temporary);
        }
        return ElfPatchResult.Patched;
    }

    /// <summary>The file offset of the vna_flags field for the version, or -1 with the reason.</summary>
    public static long FindVernauxFlagsOffset(byte[] image, string versionName, out ElfPatchResult status)
    {
        status = ElfPatchResult.NotElf;
        // e_ident: magic, ELFCLASS64 (2), ELFDATA2LSB (1).
        if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F'
            || image[4] != 2 || image[5] != 1)
            return -1;

        ulong sectionTable = ReadU64(image, 0x28);
        ushort sectionEntrySize = ReadU16(image, 0x3A);
        ushort sectionCount = ReadU16(image, 0x3C);
        if (sectionEntrySize < 64 || sectionTable == 0 || !Fits(image, sectionTable, (ulong)sectionEntrySize * sectionCount))
            return -1;

        for (int i = 0; i < sectionCount; i++)
        {
            long header = (long)sectionTable + (long)i * sectionEntrySize;
            if (ReadU32(image, header + 4) != ShtGnuVerneed)
                continue;

            ulong verneedOffset = ReadU64(image, header + 0x18);
            ulong verneedSize = ReadU64(image, header + 0x20);
            uint link = ReadU32(image, header + 0x28);
            if (!Fits(image, verneedOffset, verneedSize) || link >= sectionCount)
                return -1;
            long stringHeader = (long)sectionTable + (long)link * sectionEntrySize;
            ulong stringsOffset = ReadU64(image, stringHeader + 0x18);
            ulong stringsSize = ReadU64(image, stringHeader + 0x20);
            if (!Fits(image, stringsOffset, stringsSize))
                return -1;

            long end = (long)(verneedOffset + verneedSize);
            long verneed = (long)verneedOffset;
            // Bounded walk: a corrupt chain must not loop forever.
            for (int guard = 0; guard < 4096 && verneed + 16 <= end; guard++)
            {
                ushort auxCount = ReadU16(image, verneed + 2);
                long aux = verneed + ReadU32(image, verneed + 8);
                for (int j = 0; j < auxCount && aux + 16 <= end; j++)
                {
                    uint name = ReadU32(image, aux + 8);
                    if (name < stringsSize && NameEquals(image, (long)stringsOffset + name, (long)(stringsOffset + stringsSize), versionName))
                    {
                        status = ElfPatchResult.Patched;
                        return aux + 4;
                    }
                    uint nextAux = ReadU32(image, aux + 12);
                    if (nextAux == 0)
                        break;
                    aux += nextAux;
                }
                uint next = ReadU32(image, verneed + 12);
                if (next == 0)
                    break;
                verneed += next;
            }
            status = ElfPatchResult.VersionNotRequired;
            return -1;
        }
        status = ElfPatchResult.VersionNotRequired;
        return -1;
    }

    private static bool NameEquals(byte[] image, long start, long limit, string name)
    {
        if (start + name.Length >= limit)
            return false;
        for (int k = 0; k < name.Length; k++)
        {
            if (image[start + k] != (byte)name[k])
                return false;
        }
        return image[start + name.Length] == 0;
    }

    private static bool Fits(byte[] image, ulong offset, ulong length) =>
        offset <= (ulong)image.Length && length <= (ulong)image.Length - offset;

    private static ushort ReadU16(byte[] b, long o) => (ushort)(b[o] | b[o + 1] << 8);

    private static void WriteU16(byte[] b, long o, ushort v)
    {
        b[o] = (byte)v;
        b[o + 1] = (byte)(v >> 8);
    }

    private static uint ReadU32(byte[] b, long o) => (uint)ReadU16(b, o) | (uint)ReadU16(b, o + 2) << 16;

    private static ulong ReadU64(byte[] b, long o) => ReadU32(b, o) | (ulong)ReadU32(b, o + 4) << 32;
}
