using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Sru.MnistSample.Data;

namespace Sru.MnistSample.Models;

/// <summary>
/// Which class each slot of a model's Score column stands for, read from the column's slot names (the training
/// labels' values). A model trained on rows lacking a class has fewer slots, so slot i is not always class i.
/// </summary>
internal sealed class ScoreClasses
{
    private const string SlotNames = "SlotNames";

    private ScoreClasses(uint[] labels, string[] names)
    {
        Labels = labels;
        Names = names;
    }

    /// <summary>The label value (0–9) of each Score slot.</summary>
    public IReadOnlyList<uint> Labels { get; }

    /// <summary>The display name of each Score slot: the digit, or the kind of clothing.</summary>
    public IReadOnlyList<string> Names { get; }

    public static ScoreClasses Of(ITransformer model, DataViewSchema inputSchema, DatasetName dataset)
    {
        DataViewSchema.Column score = model.GetOutputSchema(inputSchema)["Score"];
        int slots = score.Type is VectorDataViewType vector ? vector.Size : 1;
        uint[] labels = Enumerable.Range(0, slots).Select(i => (uint)i).ToArray();
        if (score.Annotations.Schema.GetColumnOrNull(SlotNames) is not null)
        {
            VBuffer<ReadOnlyMemory<char>> names = default;
            score.Annotations.GetValue(SlotNames, ref names);
            var values = names.DenseValues().ToArray();
            for (int i = 0; i < slots && i < values.Length; i++)
            {
                if (uint.TryParse(values[i].Span, NumberStyles.None, CultureInfo.InvariantCulture, out uint label))
                    labels[i] = label;
            }
        }
        return new ScoreClasses(labels, labels.Select(label => dataset.ClassName(label)).ToArray());
    }
}
