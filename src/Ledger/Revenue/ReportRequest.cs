using System.Text;
using NodaTime;
using Npgsql;
using NpgsqlTypes;

namespace Ledger.Revenue;

/// <summary>What the finance reports share (docs/revenue.md#reports): posting periods from/to (yyyy-MM, inclusive), json or csv.</summary>
public static class ReportRequest
{
    /// <summary>The periods asked for; a 400 problem naming the field when one does not parse, or the format is unknown.</summary>
    public static IResult? Read(string? from, string? to, string? format, out LocalDate? start, out LocalDate? end)
    {
        end = null;
        if (!GetJournal.TryMonth(from, out start)) return GetJournal.BadMonth("from");
        if (!GetJournal.TryMonth(to, out end)) return GetJournal.BadMonth("to");
        return BadFormat(format);
    }

    public static IResult? BadFormat(string? format) =>
        format is null or "json" or "csv" ? null : Hosting.Problems.BadRequest("Invalid format", "format is json (the default) or csv.", "format");

    /// <summary>A posting period as a SQL date parameter (null: no bound).</summary>
    public static NpgsqlParameter Month(LocalDate? month) =>
        new() { Value = month is { } m ? new DateOnly(m.Year, m.Month, 1) : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Date };

    /// <summary>An optional text parameter (null: all).</summary>
    public static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    public static IResult Csv(StringBuilder csv) => Results.Text(csv.ToString(), "text/csv", Encoding.UTF8);
}
