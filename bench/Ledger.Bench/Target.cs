using Ledger.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace Ledger.Bench;

/// <summary>The ledger under test: one at --url, or one started here over a fresh private PostgreSQL.</summary>
public sealed class Target : IAsyncDisposable
{
    private WebApplication? _app;
    private EmbeddedPostgres? _postgres;
    private string? _dataDirectory;
    public string Url { get; private init; } = "";
    public string ConnectionString { get; private set; } = "";
    public string ApiKey { get; private init; } = "";
    /// <summary>The in-process ledger's services (null with --url).</summary>
    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("Only an in-process ledger exposes its services.");

    public static Task<Target> StartAsync(string? url, string daemon = "Solo", params string[] settings) => StartAsync(url, null, daemon, settings);

    /// <summary>With <paramref name="keepData"/>, the private PostgreSQL lives in that folder and is kept (stopped) afterwards, to be reused.</summary>
    public static async Task<Target> StartAsync(string? url, string? keepData, string daemon, params string[] settings)
    {
        if (url is not null)
        {
            var cs = Environment.GetEnvironmentVariable("ConnectionStrings__Ledger")
                ?? throw new InvalidOperationException("With --url, set ConnectionStrings__Ledger so the benchmark can count what was stored.");
            var key = Environment.GetEnvironmentVariable("LEDGER_API_KEY")
                ?? throw new InvalidOperationException("With --url, set LEDGER_API_KEY to a key with the ingest scope.");
            return new Target { Url = url, ConnectionString = cs, ApiKey = key };
        }
        var dataDirectory = keepData is null ? Path.Combine(Path.GetTempPath(), $"ledger-bench-{Guid.NewGuid():N}") : Path.GetFullPath(keepData);
        var postgres = await EmbeddedPostgres.StartAsync(dataDirectory);
        var port = EmbeddedPostgres.FreePort();
        var target = new Target
        {
            Url = $"http://127.0.0.1:{port}", _postgres = postgres, _dataDirectory = keepData is null ? dataDirectory : null,
            ApiKey = Ledger.Access.ApiKeySecrets.Generate().Key
        };
        target.ConnectionString = postgres.ConnectionString;
        target._app = await LedgerApp.BuildAsync(
            ["--urls", target.Url, "--ConnectionStrings:Ledger", postgres.ConnectionString, "--Logging:LogLevel:Default", "Warning", "--Ledger:Projections:Daemon", daemon,
             "--Ledger:BootstrapAdminKey", target.ApiKey, // the benchmark measures throughput, not the rate limits:
             "--Ledger:RateLimits:RequestsPerSecond", "1000000", "--Ledger:RateLimits:EventsPerSecond", "100000000", ..settings]);
        await target._app.StartAsync();
        return target;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) { await _app.StopAsync(); await _app.DisposeAsync(); }
        if (_postgres is not null) await _postgres.DisposeAsync();
        if (_dataDirectory is not null && Directory.Exists(_dataDirectory)) Directory.Delete(_dataDirectory, true);
    }
}
