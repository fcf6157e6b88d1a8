namespace Microsoft.ML.Sru.Tests.Trainers;

/// <summary>Progress sinks that collect the reports of one kind into a list, on the training thread.</summary>
internal static class ProgressRecorder
{
    public static IProgress<TrainingProgress> Into(List<TrainingProgress> reports, TrainingProgressKind kind)
        => new SynchronousProgress<TrainingProgress>(r =>
        {
            if (r.Kind == kind)
                reports.Add(r);
        });
}
