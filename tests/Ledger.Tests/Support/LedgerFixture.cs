using JasperFx.CommandLine;
using Ledger.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;
using Npgsql;

namespace Ledger.Tests.Support;

/// <summary>
/// One ledger (the real HTTP pipeline, Marten, Wolverine, the async daemon) over one real PostgreSQL
/// for the whole test run. With <c>ConnectionStrings__Ledger</c> set, that database is used;
/// otherwise a private cluster is started in a temp folder and removed afterwards.
/// Tests isolate themselves by unique sources and customer ids, never by deleting events
/// (the event tables refuse deletes).
/// </summary>
public class LedgerFixture : IAsyncLifetime
{
    private EmbeddedPostgres? _postgres;
    private string? _dataDirectory;

    public string ConnectionString { get; private set; } = "";
    /// <summary>The bootstrap admin key; <see cref="Client"/> sends it on every request.</summary>
    public string AdminKey { get; } = Ledger.Access.ApiKeySecrets.Generate().Key;
    public WebApplicationFactory<Program> Factory { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    /// <summary>The ledger's clock: starts at the real now, moved only by tests that need to.</summary>
    public FakeClock Clock { get; } = new(SystemClock.Instance.GetCurrentInstant());
    public NpgsqlDataSource Database => Factory.Services.GetRequiredService<NpgsqlDataSource>();

    /// <summary>Serve on a real loopback port (Kestrel) rather than in memory: for the browser tests in tests/Ledger.UiTests.</summary>
    protected virtual bool ServeOnLoopback => false;

    /// <summary>Where the ledger listens when it serves on loopback (<see cref="ServeOnLoopback"/>).</summary>
    public Uri Address => new(Factory.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
        .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First());

    public async Task InitializeAsync()
    {
        var configured = Environment.GetEnvironmentVariable("ConnectionStrings__Ledger");
        if (string.IsNullOrEmpty(configured))
        {
            _dataDirectory = Path.Combine(Path.GetTempPath(), $"ledger-tests-{Guid.NewGuid():N}");
            _postgres = await EmbeddedPostgres.StartAsync(_dataDirectory);
            ConnectionString = _postgres.ConnectionString;
        }
        else ConnectionString = configured;

        CloudEvents.Now = () => Clock.GetCurrentInstant().ToDateTimeOffset();
        Factory = CreateFactory(ConnectionString, AdminKey, Clock, ServeOnLoopback);
        Client = Factory.CreateClient();
        Client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);
        await WaitUntilReady(Client);
    }

    /// <summary>A ledger host over the given database, configured as the tests need (also for tests that start and stop a ledger of their own).</summary>
    /// <param name="loopback">Serve with Kestrel on a free loopback port instead of in memory, so a browser can reach it.</param>
    public static WebApplicationFactory<Program> CreateFactory(string connectionString, string adminKey, IClock clock, bool loopback = false)
    {
        JasperFxEnvironment.AutoStartHost = true;
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            if (loopback) web.UseSetting("urls", "http://127.0.0.1:0");
            web.UseSetting("ConnectionStrings:Ledger", connectionString);
            web.UseSetting("Ledger:BootstrapAdminKey", adminKey);
            // Webhook retries after 0.2 s and 0.5 s (then failed), and a 1 s answer timeout, so the tests run in seconds
            web.UseSetting("Ledger:Webhooks:RetryDelays", "00:00:00.2,00:00:00.5");
            web.UseSetting("Ledger:Webhooks:Timeout", "00:00:01");
            // Scheduled credit expiries and notices run within half a second of their time
            web.UseSetting("Ledger:Credits:SchedulePolling", "00:00:00.5");
            // Tests close periods on demand; the scheduled close is driven explicitly (PeriodCloseSchedule tests).
            web.UseSetting("Ledger:Invoices:AutoClose", "false");
            // The journal posts when a test asks (POST /v1/journal/post), so its tests see exactly the runs they make.
            web.UseSetting("Ledger:Journal:PostInterval", "00:00:00");
            web.UseEnvironment("Testing");
            web.ConfigureTestServices(services => services.AddSingleton(clock));
        });
        if (loopback) factory.UseKestrel();
        return factory;
    }

    /// <summary>Polls /health/ready until the ledger answers it (10 s at most).</summary>
    public static async Task WaitUntilReady(HttpClient client)
    {
        for (var i = 0; i < 100; i++)
        {
            var response = await client.GetAsync("/health/ready");
            if (response.IsSuccessStatusCode) return;
            await Task.Delay(100);
        }
        throw new InvalidOperationException("The ledger did not become ready: " +
            await (await client.GetAsync("/health/ready")).Content.ReadAsStringAsync());
    }

    /// <summary>A client that sends no key: for checking what anonymous callers get.</summary>
    public HttpClient AnonymousClient() => Factory.CreateClient();

    /// <summary>A client that sends the given key.</summary>
    public HttpClient ClientWithKey(string key)
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private readonly List<Func<Task>> _cleanups = [];

    /// <summary>Runs <paramref name="cleanup"/> when the run ends, while the database is still up (e.g. dropping a throwaway database).</summary>
    public void OnDispose(Func<Task> cleanup)
    {
        lock (_cleanups) _cleanups.Add(cleanup);
    }

    public async Task DisposeAsync()
    {
        foreach (var cleanup in _cleanups) await cleanup();
        Client.Dispose();
        await Factory.DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
        if (_dataDirectory is not null && Directory.Exists(_dataDirectory))
            Directory.Delete(_dataDirectory, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class LedgerCollection : ICollectionFixture<LedgerFixture>
{
    public const string Name = "ledger";
}

/// <summary>
/// Tests that fill a ledger with millions of rows get a ledger and database of their own, and run after the
/// others, alone: other tests (a rating rebuild, say) then never pay for their rows.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LedgerAtScaleCollection : ICollectionFixture<LedgerFixture>
{
    public const string Name = "ledger at scale";
}

