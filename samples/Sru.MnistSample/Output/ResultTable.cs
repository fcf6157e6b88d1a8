using System.Text;
using Spectre.Console;

namespace Sru.MnistSample.Output;

/// <summary>A table of results: a Spectre.Console table in a terminal, aligned plain text when redirected.</summary>
internal sealed class ResultTable
{
    private readonly string _title;
    private readonly string[] _headers;
    private readonly List<string[]> _rows = [];

    public ResultTable(string title, params string[] headers)
    {
        _title = title;
        _headers = headers;
    }

    public void AddRow(params string[] cells)
    {
        if (cells.Length != _headers.Length)
            throw new ArgumentException($"A row of table '{_title}' has {cells.Length} cells for {_headers.Length} columns.", nameof(cells));
        _rows.Add(cells);
    }

    public void Write()
    {
        if (Terminal.IsRich)
            AnsiConsole.Write(ToSpectre());
        else
            Console.Write(ToPlainText());
    }

    /// <summary>Columns padded to their widest cell; numbers right-aligned.</summary>
    public string ToPlainText()
    {
        int[] widths = _headers.Select((h, c) => _rows.Select(r => r[c].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        text.AppendLine(_title);
        AppendLine(text, _headers, widths);
        text.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (string[] row in _rows)
            AppendLine(text, row, widths);
        return text.ToString();
    }

    private void AppendLine(StringBuilder text, string[] cells, int[] widths)
    {
        for (int c = 0; c < cells.Length; c++)
        {
            if (c > 0)
                text.Append("  ");
            text.Append(IsNumeric(c) ? cells[c].PadLeft(widths[c]) : cells[c].PadRight(widths[c]));
        }
        text.Length = text.ToString().TrimEnd().Length;
        text.AppendLine();
    }

    private Table ToSpectre()
    {
        var table = new Table { Title = new TableTitle($"[bold]{Markup.Escape(_title)}[/]"), Border = TableBorder.Rounded };
        for (int c = 0; c < _headers.Length; c++)
        {
            var column = new TableColumn(Markup.Escape(_headers[c]));
            table.AddColumn(IsNumeric(c) ? column.RightAligned() : column);
        }
        foreach (string[] row in _rows)
            table.AddRow(row.Select(Markup.Escape).ToArray());
        return table;
    }

    // A column whose every cell is a number (maybe with a % sign or thousands separators) or a dash is right-aligned.
    private bool IsNumeric(int column) =>
        _rows.Count > 0 && _rows.All(r => r[column] == "—" || double.TryParse(
            r[column].TrimEnd('%', ' ').Replace(",", "", StringComparison.Ordinal), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _));
}
