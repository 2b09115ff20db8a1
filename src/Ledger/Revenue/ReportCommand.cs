using JasperFx.CommandLine;
using Npgsql;

namespace Ledger.Revenue;

public sealed class ReportInput : NetCoreInput
{
    [Description("revenue, deferred-revenue, revenue-waterfall or billed-vs-recognised")]
    public string Report { get; set; } = "";

    [Description("First posting period, yyyy-MM (revenue, deferred-revenue, billed-vs-recognised)")]
    public string? FromFlag { get; set; }

    [Description("Last posting period, yyyy-MM")]
    public string? ToFlag { get; set; }

    [Description("One customer only")]
    public string? CustomerFlag { get; set; }

    [Description("csv (the default here) or json")]
    public string FormatFlag { get; set; } = "csv";

    [Description("Write the report to this file instead of the console (which also shows start-up messages)")]
    public string? OutputFlag { get; set; }
}

/// <summary>
/// <c>dotnet run --project src/Ledger -- report revenue --from 2026-01 --to 2026-03 [--customer id] [--format json] [--output file]</c>: a finance
/// report without the HTTP server, answered by the same code as <c>GET /v1/reports/…</c>, so the command line and the API agree
/// to the byte. Prints the report (CSV by default); exits 1 with the problem on bad input.
/// </summary>
[Description("Print a finance report: revenue, deferred-revenue, revenue-waterfall or billed-vs-recognised", Name = "report")]
public sealed class ReportCommand : JasperFxAsyncCommand<ReportInput>
{
    public override async Task<bool> Execute(ReportInput input)
    {
        using var host = input.BuildHost();
        await host.Services.GetRequiredService<Hosting.LedgerSchema>().ApplyAsync();
        var db = host.Services.GetRequiredService<NpgsqlDataSource>();
        var (from, to, customer, format, ct) = (input.FromFlag, input.ToFlag, input.CustomerFlag, input.FormatFlag, CancellationToken.None);
        var result = input.Report switch
        {
            "revenue" => await RevenueReport.Get(from, to, customer, format, db, ct),
            "deferred-revenue" => await DeferredRevenueReport.Get(from, to, customer, format, db, ct),
            "revenue-waterfall" => await WaterfallReport.Get(customer, format, db, ct),
            "billed-vs-recognised" => await BilledVsRecognisedReport.Get(from, to, customer, format, db, ct),
            _ => null
        };
        if (result is null)
        {
            await Console.Error.WriteLineAsync($"Unknown report \"{input.Report}\": use revenue, deferred-revenue, revenue-waterfall or billed-vs-recognised.");
            return false;
        }
        var http = new DefaultHttpContext { RequestServices = host.Services };
        using var body = new MemoryStream();
        http.Response.Body = body;
        await result.ExecuteAsync(http);
        var text = System.Text.Encoding.UTF8.GetString(body.ToArray());
        if (http.Response.StatusCode >= 400) await Console.Error.WriteLineAsync(text);
        else if (input.OutputFlag is { } path) await File.WriteAllTextAsync(path, text);
        else Console.Write(text);
        return http.Response.StatusCode < 400;
    }
}
