using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Sru.Benchmarks;

/// <summary>
/// The CPU's multiply-add rate with <c>vdpbf16ps</c> (bf16 pairs into fp32) against <c>vfmadd231ps</c> (fp32), one core:
/// the most any bf16 GEMM could gain over an fp32 one here. .NET 10 has no intrinsic for <c>vdpbf16ps</c>, so both loops
/// are machine code written into an executable page: twelve independent accumulators (enough to cover latency on two
/// pipes), each instruction register to register, repeated n times. Linux x64 only, and only where the CPU reports
/// AVX-512 BF16 (read from /proc/cpuinfo: .NET has no flag for it either).
/// </summary>
internal static unsafe class Bf16InstructionRate
{
    private const int Accumulators = 12, SourceA = 14, SourceB = 15;

    public static bool IsSupported =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64 && Avx512F.IsSupported
        && File.Exists("/proc/cpuinfo") && File.ReadLines("/proc/cpuinfo").Any(line => line.StartsWith("flags", StringComparison.Ordinal) && line.Contains(" avx512_bf16", StringComparison.Ordinal));

    /// <summary>Fastest of <paramref name="repeats"/> runs each, taken in turn: nanoseconds per instruction, fp32 FMA and bf16 dot product.</summary>
    public static (double FmaNs, double Bf16Ns) Measure(long iterations = 20_000_000, int repeats = 7)
    {
        byte[] fma = Loop(0xB8, pp: 0b01), bf16 = Loop(0x52, pp: 0b10);
        nuint size = 4096;
        byte* page = (byte*)Mmap(null, size, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (page == (byte*)-1)
            throw new InvalidOperationException("mmap failed");
        try
        {
            fma.CopyTo(new Span<byte>(page, fma.Length));
            bf16.CopyTo(new Span<byte>(page + 2048, bf16.Length));
            if (Mprotect(page, size, ProtRead | ProtExec) != 0)
                throw new InvalidOperationException("mprotect failed");
            var runFma = (delegate* unmanaged<long, void>)page;
            var runBf16 = (delegate* unmanaged<long, void>)(page + 2048);
            double bestFma = double.MaxValue, bestBf16 = double.MaxValue;
            for (int r = 0; r < repeats; r++)
            {
                long start = Stopwatch.GetTimestamp();
                runFma(iterations);
                bestFma = Math.Min(bestFma, Stopwatch.GetElapsedTime(start).TotalNanoseconds);
                start = Stopwatch.GetTimestamp();
                runBf16(iterations);
                bestBf16 = Math.Min(bestBf16, Stopwatch.GetElapsedTime(start).TotalNanoseconds);
            }
            double instructions = (double)iterations * Accumulators;
            return (bestFma / instructions, bestBf16 / instructions);
        }
        finally
        {
            Munmap(page, size);
        }
    }

    /// <summary>
    /// void loop(long n): zero zmm0–11, zmm14, zmm15; n times the 0F38 instruction <paramref name="opcode"/> (prefix
    /// <paramref name="pp"/>) zmm_i ← zmm_i, zmm14, zmm15 for i = 0..11; vzeroupper; ret.
    /// </summary>
    private static byte[] Loop(byte opcode, int pp)
    {
        var code = new List<byte>();
        foreach (int register in Enumerable.Range(0, Accumulators).Append(SourceA).Append(SourceB))
            code.AddRange(Evex(map: 0b01, pp: 0b01, opcode: 0xEF, register, register, register)); // vpxord r, r, r
        int top = code.Count;
        for (int i = 0; i < Accumulators; i++)
            code.AddRange(Evex(map: 0b10, pp, opcode, i, SourceA, SourceB));
        code.AddRange([0x48, 0xFF, 0xCF]); // dec rdi
        int back = top - (code.Count + 2);
        code.AddRange([0x75, (byte)(sbyte)back]); // jnz top
        code.AddRange([0xC5, 0xF8, 0x77, 0xC3]); // vzeroupper; ret
        return code.ToArray();
    }

    /// <summary>A 512-bit EVEX instruction, W0, no mask, registers only (zmm0–15): destination, first source (vvvv), second source (r/m).</summary>
    private static byte[] Evex(int map, int pp, byte opcode, int destination, int source, int rm)
    {
        int p0 = (((destination >> 3) & 1) ^ 1) << 7 | 1 << 6 | (((rm >> 3) & 1) ^ 1) << 5 | 1 << 4 | map;
        int p1 = (~source & 0xF) << 3 | 1 << 2 | pp;
        const int P2 = 0b0100_1000; // L'L = 512 bits, V' = 1 (not inverted: zmm0–15)
        return [0x62, (byte)p0, (byte)p1, P2, opcode, (byte)(0xC0 | (destination & 7) << 3 | (rm & 7))];
    }

    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4, MapPrivate = 0x02, MapAnonymous = 0x20;

    [DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static extern void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [DllImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static extern int Mprotect(void* address, nuint length, int protection);

    [DllImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static extern int Munmap(void* address, nuint length);
}
