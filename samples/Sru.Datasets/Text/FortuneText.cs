namespace Sru.Datasets.Text;

/// <summary>One entry of the fortunes corpus and the file (category) it comes from.</summary>
public sealed class FortuneText
{
    public string Text { get; set; } = "";

    public string Category { get; set; } = "";
}
