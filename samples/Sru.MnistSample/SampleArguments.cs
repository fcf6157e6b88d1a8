using Microsoft.ML.Sru;

namespace Sru.MnistSample;

/// <summary>The sample's command line.</summary>
internal sealed record SampleArguments(string Command, bool Blog, int Epochs, string? DataDirectory, string ModelPath, int Count)
{
    public static SampleArguments? Parse(string[] args)
    {
        string command = "sru";
        bool blog = false;
        int epochs = 3;
        string? data = null;
        string? model = null;
        int count = 10;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "sru" or "lstm" or "summary" or "scores":
                    command = args[i];
                    break;
                case "--blog":
                    blog = true;
                    break;
                case "--epochs" when i + 1 < args.Length && int.TryParse(args[i + 1], out int n) && n > 0:
                    epochs = n;
                    i++;
                    break;
                case "--count" when i + 1 < args.Length && int.TryParse(args[i + 1], out int c) && c > 0:
                    count = c;
                    i++;
                    break;
                case "--data" when i + 1 < args.Length:
                    data = args[++i];
                    break;
                case "--model" when i + 1 < args.Length:
                    model = args[++i];
                    break;
                default:
                    Console.Error.WriteLine($"Unknown argument '{args[i]}'.");
                    return null;
            }
        }
        return new SampleArguments(command, blog, epochs, data, model ?? $"mnist-{command}.zip", count);
    }

    /// <summary>Our defaults, or the blog's settings (Adam 1e-2, constant rate, batch 128, clip 1.0).</summary>
    public T Configure<T>(T options) where T : RecurrentTrainerOptions
    {
        options.MaxEpoch = Epochs;
        if (Blog)
        {
            options.LearningRate = 0.01f;
            options.LearningRateDecay = 1f;
            options.BatchSize = 128;
            options.GradientClipNorm = 1f;
        }
        return options;
    }
}
