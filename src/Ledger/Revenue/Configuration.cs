using Marten;

namespace Ledger.Revenue;

/// <summary>Registers the journal: the period-close event, the poster and its background run (docs/revenue.md).</summary>
public static class RevenueConfiguration
{
    public static void ConfigureMarten(StoreOptions opts) => opts.Events.AddEventType<AccountingPeriodClosed>();

    public static void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<JournalOptions>().Bind(configuration.GetSection("Ledger:Journal"))
            .Validate(o => o.Breakage is "remote" or "proportional",
                "Ledger:Journal:Breakage must be \"remote\" (breakage when credit expires) or \"proportional\" (as credit is used).")
            .Validate(o => o.ExpectedBreakage is >= 0m and < 1m,
                "Ledger:Journal:ExpectedBreakage is the share of purchased credit expected to go unused: from 0 up to, not including, 1 (e.g. 0.1).")
            .ValidateOnStart();
        services.AddSingleton<JournalPoster>();
        services.AddHostedService<JournalFeed>();
    }
}
