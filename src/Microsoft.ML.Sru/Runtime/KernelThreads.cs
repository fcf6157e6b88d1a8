namespace Microsoft.ML.Sru.Runtime;

/// <summary>
/// Runs the parts of one kernel call in parallel. Two parts (the usual case on two cores) go to the calling thread and
/// one dedicated worker that keeps polling for a short while after each call, because a training step makes a parallel
/// call every few hundred microseconds and a thread-pool worker that has gone to sleep takes tens of microseconds to
/// wake. More parts, or a worker busy with another thread's call, go to Parallel.For.
/// Process-wide: one worker thread per process (a background thread named "Sru kernel worker", started by the first
/// two-part call and never stopped), shared by every training and scoring call; between calls it spins for
/// <see cref="PollTime"/> on one core, then blocks.
/// </summary>
internal static class KernelThreads
{
    /// <summary>How long the worker polls for the next call before it blocks.</summary>
    private static readonly TimeSpan PollTime = TimeSpan.FromMicroseconds(300);

    private static readonly object StartGate = new();
    private static readonly SemaphoreSlim Wake = new(0);
    private static Thread? s_worker;
    private static int s_busy, s_sleeping;
    private static Job? s_job;

    /// <summary>Calls <paramref name="body"/> for 0 … <paramref name="parts"/> − 1, in parallel, and returns when all are done.</summary>
    public static void For(int parts, Action<int> body)
    {
        if (parts <= 1)
        {
            body(0);
            return;
        }
        if (parts != 2 || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            ForOnThreadPool(parts, body);
            return;
        }

        try
        {
            EnsureWorker();
            var job = new Job(body);
            Volatile.Write(ref s_job, job);
            if (Interlocked.Exchange(ref s_sleeping, 0) == 1)
                Wake.Release();
            Exception? mine = null;
            try
            {
                body(0);
            }
            catch (Exception e)
            {
                mine = e;
            }

            var wait = new SpinWait();
            while (Volatile.Read(ref job.Done) == 0)
                wait.SpinOnce(sleep1Threshold: -1);
            if (mine is not null || job.Error is not null)
                throw new AggregateException(new[] { mine, job.Error }.OfType<Exception>());
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    /// <summary>
    /// Parallel.For, except that a part that throws does not stop the parts not yet started: every part runs, as on the
    /// dedicated worker, so a caller sees the same outcome whichever path its call took.
    /// </summary>
    private static void ForOnThreadPool(int parts, Action<int> body)
    {
        var errors = new Exception?[parts];
        Parallel.For(0, parts, part =>
        {
            try
            {
                body(part);
            }
            catch (Exception e)
            {
                errors[part] = e;
            }
        });
        if (errors.Any(e => e is not null))
            throw new AggregateException(errors.OfType<Exception>());
    }

    private static void EnsureWorker()
    {
        if (Volatile.Read(ref s_worker) is not null)
            return;
        lock (StartGate)
        {
            if (s_worker is not null)
                return;
            var worker = new Thread(Work) { IsBackground = true, Name = "Sru kernel worker" };
            worker.Start();
            Volatile.Write(ref s_worker, worker);
        }
    }

    private static void Work()
    {
        while (true)
        {
            Job job = WaitForJob();
            try
            {
                job.Body(1);
            }
            catch (Exception e)
            {
                job.Error = e;
            }
            Volatile.Write(ref job.Done, 1);
        }
    }

    private static Job WaitForJob()
    {
        while (true)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            var wait = new SpinWait();
            while (System.Diagnostics.Stopwatch.GetElapsedTime(start) < PollTime)
            {
                if (Interlocked.Exchange(ref s_job, null) is { } job)
                    return job;
                wait.SpinOnce(sleep1Threshold: -1);
            }

            Volatile.Write(ref s_sleeping, 1);
            // A call published just before the flag was set found no sleeper to wake: look once more.
            if (Interlocked.Exchange(ref s_job, null) is { } late)
            {
                Volatile.Write(ref s_sleeping, 0);
                return late;
            }
            Wake.Wait();
        }
    }

    private sealed class Job(Action<int> body)
    {
        public Action<int> Body { get; } = body;

        public int Done;

        public Exception? Error;
    }
}
