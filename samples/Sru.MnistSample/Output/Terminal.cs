using Spectre.Console;

namespace Sru.MnistSample.Output;

/// <summary>
/// Where results go: a live, coloured display when a person watches an interactive terminal, plain lines when the
/// output is redirected to a file, a pipe or a test (set <c>SRU_SAMPLE_PLAIN=1</c> to force plain lines).
/// </summary>
internal static class Terminal
{
    public static bool IsRich { get; } =
        !Console.IsOutputRedirected
        && AnsiConsole.Profile.Capabilities.Interactive
        && Environment.GetEnvironmentVariable("SRU_SAMPLE_PLAIN") is null or "" or "0";

    /// <summary>A line of information.</summary>
    public static void Line(string text = "")
    {
        if (IsRich)
            AnsiConsole.MarkupLine(Markup.Escape(text));
        else
            Console.WriteLine(text);
    }

    /// <summary>A line that stands out: the result a command exists for.</summary>
    public static void Result(string text)
    {
        if (IsRich)
            AnsiConsole.MarkupLine($"[bold green]{Markup.Escape(text)}[/]");
        else
            Console.WriteLine(text);
    }

    /// <summary>A section title.</summary>
    public static void Heading(string text)
    {
        if (IsRich)
            AnsiConsole.Write(new Rule($"[bold]{Markup.Escape(text)}[/]").LeftJustified());
        else
            Console.WriteLine($"== {text} ==");
    }

    /// <summary>Text laid out by someone else (such as ML.NET's confusion table), written verbatim.</summary>
    public static void Verbatim(string text)
    {
        if (IsRich)
            AnsiConsole.Write(new Text(text));
        else
            Console.Write(text);
    }

    /// <summary>Shows the cursor that a live display hides, for exits that skip the display's own clean-up.</summary>
    public static void ShowCursor()
    {
        if (IsRich)
        {
            Console.Out.Write("\u001b[?25h");
            Console.Out.Flush();
        }
    }
}
