using System.Text;

namespace Sru.MnistSample.Cli;

/// <summary>Turns a property name into an option name: <c>LearningRateDecay</c> → <c>learning-rate-decay</c>.</summary>
internal static class KebabCase
{
    public static string From(string pascalCase)
    {
        var text = new StringBuilder(pascalCase.Length + 8);
        for (int i = 0; i < pascalCase.Length; i++)
        {
            char c = pascalCase[i];
            // A new word starts at an upper-case letter after a lower-case one or a digit, or before the last
            // capital of an acronym ("NSteps" → "n-steps").
            bool boundary = i > 0 && char.IsUpper(c)
                && (!char.IsUpper(pascalCase[i - 1]) || (i + 1 < pascalCase.Length && char.IsLower(pascalCase[i + 1])));
            if (boundary)
                text.Append('-');
            text.Append(char.ToLowerInvariant(c));
        }
        return text.ToString();
    }
}
