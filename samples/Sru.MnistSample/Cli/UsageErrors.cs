using System.CommandLine;

namespace Sru.MnistSample.Cli;

/// <summary>
/// The parser's errors as the user should read them: an unknown option or command is named with the closest
/// ones the command has ("--epoch": did you mean --epochs?), and the value after an unknown option is not
/// reported as a second error.
/// </summary>
internal static class UsageErrors
{
    public static IReadOnlyList<string> Of(ParseResult parse)
    {
        Command command = parse.CommandResult.Command;
        IReadOnlyList<string> unmatched = parse.UnmatchedTokens;
        var lines = parse.Errors
            .Select(e => e.Message)
            .Where(message => !unmatched.Any(token => message.Contains($"'{token}'", StringComparison.Ordinal)))
            // "Required command was not provided" says nothing new after "unknown command 'trian'".
            .Where(message => unmatched.Count == 0 || command is not RootCommand)
            .ToList();
        for (int i = 0; i < unmatched.Count; i++)
        {
            string token = unmatched[i];
            if (token.StartsWith('-'))
            {
                lines.Add($"unknown option '{token}' for '{Path(command)}'{Suggest(token, OptionNames(parse, command))}");
                // Its value, if it had one, is not a second mistake.
                if (i + 1 < unmatched.Count && !unmatched[i + 1].StartsWith('-'))
                    i++;
            }
            else if (command is RootCommand)
            {
                // What follows an unknown command is that command's business.
                lines.Add($"unknown command '{token}'{Suggest(token, command.Subcommands.Select(c => c.Name))}");
                break;
            }
            else
            {
                lines.Add($"unexpected argument '{token}' for '{Path(command)}'");
            }
        }
        return lines;
    }

    private static string Path(Command command) => command is RootCommand ? HowToRun.Alias : $"{HowToRun.Alias} {command.Name}";

    private static IEnumerable<string> OptionNames(ParseResult parse, Command command)
    {
        IEnumerable<Option> options = command.Options;
        // The root's recursive options (--verbose) apply to every command.
        if (command != parse.RootCommandResult.Command)
            options = options.Concat(parse.RootCommandResult.Command.Options.Where(o => o.Recursive));
        return options.SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal));
    }

    /// <summary>"; did you mean '--epochs'?" for the names at the smallest edit distance, when it is small enough to be a typo.</summary>
    private static string Suggest(string typed, IEnumerable<string> names)
    {
        var scored = names.Distinct().Select(n => (Name: n, Distance: Distance(typed, n))).ToList();
        int allowed = Math.Max(2, typed.TrimStart('-').Length / 3);
        var best = scored.Where(s => s.Distance <= allowed).OrderBy(s => s.Distance).ToList();
        if (best.Count == 0)
            return "";
        var closest = best.TakeWhile(s => s.Distance == best[0].Distance).Take(3).Select(s => $"'{s.Name}'").ToList();
        return $"; did you mean {string.Join(" or ", closest)}?";
    }

    /// <summary>Edits (insert, delete, replace, swap two neighbours) that turn one text into the other.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
