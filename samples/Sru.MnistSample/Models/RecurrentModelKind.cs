namespace Sru.MnistSample.Models;

/// <summary>The recurrent classifiers the sample trains (the value of <c>train --model</c>).</summary>
internal enum RecurrentModelKind
{
    /// <summary>Simple Recurrent Unit (<c>Trainers.Sru</c>).</summary>
    Sru,

    /// <summary>Long short-term memory (<c>Trainers.Lstm</c>).</summary>
    Lstm,

    /// <summary>Gated recurrent unit (<c>Trainers.Gru</c>).</summary>
    Gru,
}
