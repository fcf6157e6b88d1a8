using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML.Sru.Runtime.Interop;
using TorchSharp;
using static TorchSharp.torch;
using SystemMemory = System.Runtime.InteropServices.NativeMemory;

namespace Microsoft.ML.Sru.Runtime;

/// <summary>
/// Reuses the memory of the SRU kernels' large float32 CPU tensors (U, h, c and their gradients) from one training
/// step to the next. A fresh tensor of a few MB is a fresh mapping from glibc whose pages fault in one by one when
/// the kernel first writes them (a first touch costs microseconds a page on some virtual machines), while every step
/// of a training run asks for the same shapes again. While the pool is open (<see cref="Open"/>, for the length of
/// a training run), <see cref="Empty"/> hands out tensors over pooled blocks; libtorch calls back when a tensor's
/// storage is freed, and its block goes back to the pool. Closed, the pool frees its idle blocks and any block
/// returned later, and <see cref="Empty"/> is plain <c>torch.empty</c>. Idle memory is capped
/// (<see cref="MaxIdleBytes"/>), so the pool holds at most one step's working set plus that cap.
/// Process-wide: the pool is static (one per process, shared by every training and scoring thread), and while any
/// scope is open every large float32 tensor the kernels ask for comes from it; it makes tensors through a TorchSharp
/// entry point outside its API (<see cref="LibTorchSharpNative"/>).
/// </summary>
internal static unsafe class TensorPool
{
    /// <summary>Blocks smaller than this come from libtorch as usual: glibc's heap serves them without page faults.</summary>
    public const long MinPooledBytes = 256 << 10;

    /// <summary>At most this much idle memory is kept; blocks returned beyond it are freed.</summary>
    public const long MaxIdleBytes = 256L << 20;

    private const int Alignment = 64;
    private const sbyte Float32 = (sbyte)ScalarType.Float32;

    private static readonly object Gate = new();

    /// <summary>Idle blocks by size in bytes.</summary>
    private static readonly Dictionary<long, Stack<nint>> IdleBlocks = new();

    /// <summary>Every block the pool allocated and has not freed, idle or in a tensor, with its size.</summary>
    private static readonly Dictionary<nint, long> BlockSizes = new();

    /// <summary>The blocks handed out and not yet returned: a block can come back only once.</summary>
    private static readonly HashSet<nint> InUse = new();

    private static int s_openCount;
    private static long s_idleBytes;

    /// <summary>Opens the pool until the returned scope is disposed; scopes nest and may overlap across threads.</summary>
    public static IDisposable Open()
    {
        // Pooled tensors come from a TorchSharp entry point outside its API: refuse a TorchSharp of another version first.
        TorchRuntime.EnsureLoaded();
        lock (Gate)
            s_openCount++;
        return new Scope();
    }

    /// <summary>Whether <see cref="Empty"/> hands out pooled memory now.</summary>
    public static bool IsOpen => Volatile.Read(ref s_openCount) > 0;

    /// <summary>Blocks allocated and not yet freed (idle or in use), for tests.</summary>
    internal static int LiveBlockCount
    {
        get
        {
            lock (Gate)
                return BlockSizes.Count;
        }
    }

    /// <summary>An uninitialised contiguous float32 CPU tensor: over a pooled block while the pool is open, else from libtorch.</summary>
    public static Tensor Empty(params long[] shape)
    {
        long count = 1;
        foreach (long size in shape)
            count *= size;
        long bytes = count * sizeof(float);
        if (!IsOpen || bytes < MinPooledBytes)
            return empty(shape);

        nint block = Take(bytes);
        nint handle;
        fixed (long* sizes = shape)
            handle = LibTorchSharpNative.NewTensor((void*)block, &Release, sizes, shape.Length, Float32, Float32, (int)DeviceType.CPU, 0, 0);
        if (handle == 0)
        {
            // libtorch did not take the block (it would have called Release otherwise).
            Return(block);
            throw new InvalidOperationException($"libtorch could not create a [{string.Join(", ", shape)}] float32 tensor over pooled memory.");
        }
        return Tensor.UnsafeCreateTensor(handle);
    }

    private static nint Take(long bytes)
    {
        lock (Gate)
        {
            if (IdleBlocks.TryGetValue(bytes, out var idle) && idle.Count > 0)
            {
                s_idleBytes -= bytes;
                nint reused = idle.Pop();
                InUse.Add(reused);
                return reused;
            }
        }
        nint block = (nint)SystemMemory.AlignedAlloc((nuint)bytes, Alignment);
        lock (Gate)
        {
            BlockSizes.Add(block, bytes);
            InUse.Add(block);
        }
        return block;
    }

    private static void Return(nint block)
    {
        lock (Gate)
        {
            if (!InUse.Remove(block) || !BlockSizes.TryGetValue(block, out long bytes))
                return;
            if (s_openCount > 0 && s_idleBytes + bytes <= MaxIdleBytes)
            {
                if (!IdleBlocks.TryGetValue(bytes, out var idle))
                    IdleBlocks[bytes] = idle = new Stack<nint>();
                idle.Push(block);
                s_idleBytes += bytes;
                return;
            }
            BlockSizes.Remove(block);
        }
        SystemMemory.AlignedFree((void*)block);
    }

    private static void Close()
    {
        var freed = new List<nint>();
        lock (Gate)
        {
            if (--s_openCount > 0)
                return;
            foreach (var idle in IdleBlocks.Values)
            {
                while (idle.Count > 0)
                {
                    nint block = idle.Pop();
                    BlockSizes.Remove(block);
                    freed.Add(block);
                }
            }
            IdleBlocks.Clear();
            s_idleBytes = 0;
        }
        foreach (nint block in freed)
            SystemMemory.AlignedFree((void*)block);
    }

    /// <summary>libtorch's deleter for a pooled tensor's storage; may run on any thread, must not throw.</summary>
    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void Release(void* data)
    {
        try
        {
            Return((nint)data);
        }
        catch
        {
            // Nothing may unwind into libtorch; a block that cannot go back is leaked rather than crash the process.
        }
    }

    private sealed class Scope : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                Close();
        }
    }
}
