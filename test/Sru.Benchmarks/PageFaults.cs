namespace Sru.Benchmarks;

/// <summary>The process's minor page faults so far (/proc/self/stat), or −1 where there is no procfs.</summary>
internal static class PageFaults
{
    public static long Minor()
    {
        try
        {
            string stat = File.ReadAllText("/proc/self/stat");
            // Fields after the command name, which is in parentheses and may hold spaces: state is the first, minflt the eighth.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    /// <summary>The load averages (1, 5, 15 minutes) from /proc/loadavg, for the record beside timings.</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
