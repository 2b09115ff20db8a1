using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Projections;
using JasperFx.Events.Daemon;
using Ledger.Access;
using Ledger.Budgets;
using Ledger.Credits;
using Ledger.Rating;
using Ledger.Customers;
using Ledger.Pricing;
using Ledger.Usage;
using Ledger.Webhooks;
using Marten;
using NodaTime;
using NodaTime.Serialization.SystemTextJson;
using Npgsql;
using Weasel.Core;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

namespace Ledger.Hosting;

/// <summary>Builds the ledger's web application: storage, messaging, endpoints.</summary>
public static class LedgerApp
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    public static async Task<WebApplication> BuildAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
            builder.WebHost.UseUrls(DefaultUrl);

        var embedded = await StartEmbeddedPostgresIfNeeded(builder);
        var connectionString = builder.Configuration.GetConnectionString("Ledger")!;
        AddServices(builder, connectionString);

        var app = builder.Build();
        if (embedded is not null)
            app.Lifetime.ApplicationStopped.Register(() => embedded.DisposeAsync().AsTask().GetAwaiter().GetResult());
        MapEndpoints(app);
        if (IsServing(args))
        {
            await app.Services.GetRequiredService<LedgerSchema>().ApplyAsync();
            await Bootstrap.EnsureAdminKeyAsync(app.Services, app.Configuration);
        }
        return app;
    }

    /// <summary>True unless a JasperFx command other than <c>run</c> was asked for (db-dump, describe, ...).</summary>
    private static bool IsServing(string[] args) => args.Length == 0 || args[0].StartsWith('-') || args[0] == "run";

    private static async Task<EmbeddedPostgres?> StartEmbeddedPostgresIfNeeded(WebApplicationBuilder builder)
    {
        if (!string.IsNullOrEmpty(builder.Configuration.GetConnectionString("Ledger"))) return null;
        var dataDirectory = builder.Configuration["Ledger:DataDirectory"] ?? Path.Combine(RepoRoot(), ".ledger", "pgdata");
        var pg = await EmbeddedPostgres.StartAsync(dataDirectory, builder.Configuration.GetValue<int?>("Ledger:EmbeddedPort") ?? 55432);
        Console.Error.WriteLine($"Embedded PostgreSQL on 127.0.0.1:{pg.Port}, data in {pg.DataDirectory}");
        builder.Configuration["ConnectionStrings:Ledger"] = pg.ConnectionString;
        return pg;
    }

    private static void AddServices(WebApplicationBuilder builder, string connectionString)
    {
        var services = builder.Services;
        services.AddSingleton<IClock>(SystemClock.Instance);
        services.Configure<IngestOptions>(builder.Configuration.GetSection("Ledger:Ingest"));
        services.AddSingleton(NpgsqlDataSource.Create(connectionString));
        services.AddSingleton(_ => new Trace.TraceReads(connectionString));
        services.ConfigureHttpJsonOptions(o => Json.Configure(o.SerializerOptions));
        services.AddProblemDetails();
        services.AddOpenApi(o => OpenApi.Configure(o));
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 64 * 1024 * 1024);

        var marten = services.AddMarten(ConfigureMarten)
            .UseNpgsqlDataSource()
            .UseLightweightSessions()
            .IntegrateWithWolverine()
            .AddProjectionWithServices<RatingProjection>(ProjectionLifecycle.Async, ServiceLifetime.Singleton, RatingProjection.Configure)
            .PublishEventsToWolverine(BudgetAlerts.Subscription, BudgetAlerts.Relay)
            .PublishEventsToWolverine(CreditAlerts.Subscription, CreditAlerts.Relay)
            .AddAsyncDaemon(builder.Configuration.GetValue("Ledger:Projections:Daemon", DaemonMode.Solo));
        // Periods close on their own unless Ledger:Invoices:AutoClose is false (then only POST …/periods/{period}/close closes them).
        if (builder.Configuration.GetValue("Ledger:Invoices:AutoClose", true))
            marten.PublishEventsToWolverine(Invoices.PeriodClose.Subscription, Invoices.PeriodClose.Relay);
        services.AddSingleton<LedgerSchema>();
        services.AddSingleton<RatedUsageStore>();
        services.AddSingleton<RatingTerms>();
        services.AddSingleton<BudgetWatch>();
        services.AddSingleton<Credits.CreditStore>();
        services.AddSingleton<Credits.SpendView>();
        services.AddSingleton<Credits.SpendViewLoader>();
        services.AddHostedService<Credits.SpendViewFeed>();
        services.AddSingleton<ApiKeyRing>();
        services.AddHostedService<ApiKeyUsageWriter>();
        // Tamper evidence: the hash chain is extended off the append path (docs/audit.md)
        services.AddSingleton<Audit.AuditSigningKey>();
        services.AddHostedService<Audit.Chainer>();
        Invoices.InvoicesConfiguration.ConfigureServices(services, builder.Configuration);
        Revenue.RevenueConfiguration.ConfigureServices(services, builder.Configuration);
        RateLimits.AddTo(services, builder.Configuration);

        builder.Host.UseWolverine(opts =>
        {
            opts.ApplicationAssembly = typeof(LedgerApp).Assembly; // also when hosted by the benchmark
            opts.UseRuntimeCompilation();
            opts.Durability.Mode = DurabilityMode.Solo;
            opts.Policies.AutoApplyTransactions();
            // Durable messages are stored as JSON, and messages carry NodaTime instants.
            opts.UseSystemTextJsonForSerialization(json => json.ConfigureForNodaTime(DateTimeZoneProviders.Tzdb));
            WebhookConfiguration.ConfigureWolverine(opts, builder.Configuration);
            CreditsConfiguration.ConfigureWolverine(opts, builder.Configuration);
            Credits.HoldExpiry.ConfigureWolverine(opts);
            Invoices.InvoicesConfiguration.ConfigureWolverine(opts);
        });
        services.AddWolverineHttp();
    }

    public static void ConfigureMarten(StoreOptions opts)
    {
        opts.DatabaseSchemaName = "ledger";
        opts.Events.DatabaseSchemaName = "ledger";
        opts.Events.StreamIdentity = StreamIdentity.AsString;
        opts.Events.AppendMode = EventAppendMode.Quick;
        opts.Events.EnableUniqueIndexOnEventId = true;
        opts.Events.MetadataConfig.HeadersEnabled = true;
        // The daemon wakes on each commit instead of polling: rated usage visible in tens of ms, not ~0.5 s (docs/performance.md).
        opts.Events.UseListenNotifyForEventAppends = true;
        // A notification that arrives while the high-water agent is querying is dropped (its wake-up drains pending signals
        // before it waits), so the agent would sleep until the next commit or its polling time: up to 1 s at low load.
        // Short polling bounds that stall; a poll is one cheap query (docs/performance.md#wake-up-stalls).
        opts.Projections.FastPollingTime = TimeSpan.FromMilliseconds(50);
        opts.Projections.SlowPollingTime = TimeSpan.FromMilliseconds(100);
        opts.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase,
            o => o.ConfigureForNodaTime(DateTimeZoneProviders.Tzdb));
        opts.Events.AddEventType<UsageRecorded>();
        opts.Events.AddEventType<BudgetThresholdCrossed>();
        opts.Projections.Add<CustomerUsageProjection>(ProjectionLifecycle.Async);
        opts.Projections.Snapshot<ApiKey>(SnapshotLifecycle.Inline);
        opts.Projections.Snapshot<Customer>(SnapshotLifecycle.Inline);
        opts.Projections.Snapshot<PriceBook>(SnapshotLifecycle.Inline);
        // Aggregated live (a hold has at most three events), registered so the model is known at start-up.
        opts.Projections.LiveStreamAggregation<Credits.Hold>();
        opts.Schema.For<ApiKeyUsage>();
        WebhookConfiguration.ConfigureMarten(opts);
        CreditsConfiguration.ConfigureMarten(opts);
        opts.Events.AddEventType<Contracts.ContractStarted>();
        opts.Events.AddEventType<Contracts.ContractAmended>();
        opts.Events.AddEventType<Contracts.ContractEnded>();
        opts.Schema.For<Contracts.ContractRef>();
        Invoices.InvoicesConfiguration.ConfigureMarten(opts);
        Revenue.RevenueConfiguration.ConfigureMarten(opts);
        opts.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
    }

    private static void MapEndpoints(WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRouting();
        app.UseMiddleware<AccessMiddleware>();
        app.UseMiddleware<Ui.UiAccess.Middleware>();
        app.UseRateLimiter();
        app.MapOpenApi("/openapi/{documentName}.json");
        // A query value that does not parse (?limit=abc) is a 400 problem, not silently the default.
        app.MapWolverineEndpoints(opts => opts.RejectUnparseableQueryValues = true);
        Ui.UiRoutes.Map(app);
    }

    /// <summary>The folder holding Ledger.sln, or the current folder when run from elsewhere.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Ledger.sln"))) return dir.FullName;
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Ledger.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
