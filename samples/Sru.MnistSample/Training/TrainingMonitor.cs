using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Sru;
using Spectre.Console;
using Spectre.Console.Rendering;
using Sru.MnistSample.Output;

namespace Sru.MnistSample.Training;

/// <summary>
/// Shows training as it happens from the trainer's <see cref="RecurrentTrainerOptions.Progress"/> reports: a live
/// Spectre.Console panel (epoch bar, loss, accuracy, rows/s, ETA, one line per finished epoch) in a terminal, a plain
/// line every <c>LogEveryNSteps</c> steps and per epoch otherwise. Every report is also kept in <see cref="History"/>.
/// </summary>
internal sealed class TrainingMonitor : IProgress<TrainingProgress>
{
    private static readonly TimeSpan s_refreshInterval = TimeSpan.FromMilliseconds(100);

    private readonly string _title;
    private readonly int _logEveryNSteps;
    private readonly List<string> _epochLines = [];
    private readonly Stopwatch _sinceRefresh = Stopwatch.StartNew();
    private LiveDisplayContext? _live;
    private TrainingProgress? _latest;

    public TrainingMonitor(string title, int logEveryNSteps)
    {
        _title = title;
        _logEveryNSteps = logEveryNSteps;
    }

    public TrainingHistory History { get; } = new();

    /// <summary>Runs <paramref name="fit"/> (which trains with this monitor as its Progress) under the display.</summary>
    public T Run<T>(Func<T> fit)
    {
        if (!Terminal.IsRich)
        {
            Terminal.Line(_title);
            return fit();
        }
        return AnsiConsole.Live(Render()).Start(context =>
        {
            _live = context;
            try
            {
                return fit();
            }
            finally
            {
                context.UpdateTarget(Render());
                _live = null;
            }
        });
    }

    public void Report(TrainingProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        History.Report(value);
        _latest = value;
        if (value.Kind == TrainingProgressKind.Epoch)
            _epochLines.Add(EpochLine(value));
        if (_live is not null)
        {
            // Redrawing costs more than a small training step: at most ten times a second, and at each epoch's end.
            if (value.Kind == TrainingProgressKind.Epoch || _sinceRefresh.Elapsed >= s_refreshInterval)
            {
                _live.UpdateTarget(Render());
                _sinceRefresh.Restart();
            }
        }
        else if (value.Kind == TrainingProgressKind.Epoch)
        {
            Console.WriteLine("  " + _epochLines[^1]);
        }
        else if (value.Step % _logEveryNSteps == 0)
        {
            Console.WriteLine("  " + StepLine(value));
        }
    }

    private static string StepLine(TrainingProgress p) => string.Create(CultureInfo.InvariantCulture,
        $"epoch {p.Epoch}/{p.MaxEpoch} step {p.Step}/{p.StepsPerEpoch}: loss {p.Loss:F4}, accuracy {p.Accuracy:P1}, lr {LearningRateText.Format(p.LearningRate)}, {p.RowsPerSecond:N0} rows/s, ETA {Clock(p.EstimatedRemaining)}");

    private static string EpochLine(TrainingProgress p)
    {
        string validation = p.ValidationLoss is float loss && p.ValidationAccuracy is float accuracy
            ? string.Create(CultureInfo.InvariantCulture, $"; validation loss {loss:F4}, accuracy {accuracy:P2}")
            : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"epoch {p.Epoch}/{p.MaxEpoch} done: loss {p.Loss:F4}, accuracy {p.Accuracy:P2}{validation} ({Clock(p.Elapsed)} elapsed)");
    }

    private IRenderable Render()
    {
        var rows = new List<IRenderable> { new Markup($"[bold]{Markup.Escape(_title)}[/]") };
        if (_latest is { } p)
        {
            double done = p.Kind == TrainingProgressKind.Epoch ? 1 : (double)p.Step / p.StepsPerEpoch;
            rows.Add(new Markup(string.Create(CultureInfo.InvariantCulture,
                $"epoch [bold]{p.Epoch}[/]/{p.MaxEpoch}  {Bar(done, 40)}  step {p.Step}/{p.StepsPerEpoch}")));
            rows.Add(new Markup(string.Create(CultureInfo.InvariantCulture,
                $"loss [yellow]{p.Loss:F4}[/]  accuracy [green]{p.Accuracy:P1}[/]  lr {LearningRateText.Format(p.LearningRate)}  [blue]{p.RowsPerSecond:N0}[/] rows/s  elapsed {Clock(p.Elapsed)}  ETA [bold]{Clock(p.EstimatedRemaining)}[/]")));
        }
        else
        {
            rows.Add(new Markup("[grey]preparing the data…[/]"));
        }
        rows.AddRange(_epochLines.Select(line => new Markup($"[grey]{Markup.Escape(line)}[/]")));
        return new Panel(new Rows(rows)) { Border = BoxBorder.Rounded };
    }

    private static string Bar(double fraction, int width)
    {
        int filled = (int)Math.Round(Math.Clamp(fraction, 0, 1) * width);
        return $"[green]{new string('━', filled)}[/][grey]{new string('─', width - filled)}[/]";
    }

    private static string Clock(TimeSpan time) =>
        time.TotalHours >= 1 ? time.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : time.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
