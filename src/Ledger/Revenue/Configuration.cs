using Marten;

namespace Ledger.Revenue;

/// <summary>Registers the journal: the period-close event, the poster and its background run (docs/revenue.md).</summary>
public static class RevenueConfiguration
{
    public static void ConfigureMarten(StoreOptions opts) => opts.Events.AddEventType<AccountingPeriodClosed>();

    public static void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<JournalOptions>(configuration.GetSection("Ledger:Journal"));
        services.AddSingleton<JournalPoster>();
        services.AddHostedService<JournalFeed>();
    }
}
